/**
 * What an operator's monitoring reads at scrape time (`GET /metrics`): open alerts per rule and
 * severity, and the chat messages still queued per platform. Two grouped queries; the numbers
 * are the store's, so they are right whichever process raised the alerts or queued the messages.
 */
import type { ReportDb } from './common.ts';

export interface OpenAlertCount {
  rule: string;
  severity: string;
  count: number;
}

export interface QueuedNotificationCount {
  platform: string;
  count: number;
}

export interface OperationalCounts {
  openAlerts: OpenAlertCount[];
  queuedNotifications: QueuedNotificationCount[];
}

export async function operationalCounts(db: ReportDb): Promise<OperationalCounts> {
  const alerts = await db
    .selectFrom('alerts')
    .select(['rule', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'open')
    .groupBy(['rule', 'severity'])
    .orderBy('rule')
    .orderBy('severity')
    .execute();
  const queued = await db
    .selectFrom('notify_outbox')
    .select(['platform', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('platform')
    .orderBy('platform')
    .execute();
  return {
    openAlerts: alerts.map((r) => ({ rule: r.rule, severity: r.severity, count: Number(r.n) })),
    queuedNotifications: queued.map((r) => ({ platform: r.platform, count: Number(r.n) })),
  };
}
