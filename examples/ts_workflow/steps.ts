/** The workflow's steps: deterministic stand-ins for a database and a rates service. */

export interface Order {
  id: string;
  amount: number;
  currency: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const RATES_TO_EUR: Record<string, number> = { EUR: 1, USD: 0.92, GBP: 1.17 };

export async function fetchOrders(day: string): Promise<Order[]> {
  await sleep(40);
  return [
    { id: `${day}-001`, amount: 120, currency: 'EUR' },
    { id: `${day}-002`, amount: 75.5, currency: 'USD' },
    { id: `${day}-003`, amount: 310, currency: 'GBP' },
    // A marketplace partner started sending crypto-priced orders this week.
    { id: `${day}-004`, amount: 0.0021, currency: 'XBT' },
  ];
}

export function toEur(order: Order): number {
  const rate = RATES_TO_EUR[order.currency];
  if (rate === undefined) {
    throw new RangeError(`no EUR rate for currency ${order.currency} (order ${order.id})`); // RUNLENS-MARK: ts-throws
  }
  return Math.round(order.amount * rate * 100) / 100;
}

export async function convertAll(orders: Order[]): Promise<Array<Order & { eur: number }>> {
  await sleep(25);
  return orders.map((order) => ({ ...order, eur: toEur(order) }));
}

export async function writeReport(rows: Array<Order & { eur: number }>): Promise<string> {
  await sleep(20);
  const total = rows.reduce((sum, row) => sum + row.eur, 0);
  return `report: ${rows.length} orders, EUR ${total.toFixed(2)}`;
}
