/**
 * The in-code migration list. kysely's FileMigrationProvider imports files by path at run
 * time, which breaks under vitest and bundlers; listing them here keeps them static.
 *
 * Shipped migrations never change: add a new numbered file and register it below. Names sort
 * lexically, so keep the four-digit prefix.
 */
import type { Migration } from 'kysely';
import { migration0001Initial } from './0001-initial.ts';
import { migration0002AccountEndpoints } from './0002-account-endpoints.ts';
import { migration0003Reliability } from './0003-reliability.ts';
import { migration0004AxlSchemaVersion } from './0004-axl-schema-version.ts';
import { migration0005ReadSide } from './0005-read-side.ts';
import { migration0007ChatDelivery } from './0007-chat-delivery.ts';
import { migration0008AlertLifecycle } from './0008-alert-lifecycle.ts';
import { migration0009NotifyCursor } from './0009-notify-cursor.ts';
import { migration0010ReadIndexes } from './0010-read-indexes.ts';
import { migration0011AccountDevicesApi } from './0011-account-devices-api.ts';
import { migration0012ChatTickets } from './0012-chat-tickets.ts';
import { migration0013UsageRepeats } from './0013-usage-repeats.ts';
import { migration0014McpTokens } from './0014-mcp-tokens.ts';
import { migration0015LeaderLease } from './0015-leader-lease.ts';
import { migration0016AccountLeaseExpiry } from './0016-account-lease-expiry.ts';
import { migration0017TokenExpiryIndex } from './0017-token-expiry-index.ts';
import { migration0018AccountDataVersion } from './0018-account-data-version.ts';
import { migration0019VersionStampIndexes } from './0019-version-stamp-indexes.ts';
import { migration0020CustomerAccountIndex } from './0020-customer-account-index.ts';

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': migration0001Initial,
  '0002-account-endpoints': migration0002AccountEndpoints,
  '0003-reliability': migration0003Reliability,
  '0004-axl-schema-version': migration0004AxlSchemaVersion,
  '0005-read-side': migration0005ReadSide,
  '0007-chat-delivery': migration0007ChatDelivery,
  '0008-alert-lifecycle': migration0008AlertLifecycle,
  '0009-notify-cursor': migration0009NotifyCursor,
  '0010-read-indexes': migration0010ReadIndexes,
  '0011-account-devices-api': migration0011AccountDevicesApi,
  '0012-chat-tickets': migration0012ChatTickets,
  '0013-usage-repeats': migration0013UsageRepeats,
  '0014-mcp-tokens': migration0014McpTokens,
  '0015-leader-lease': migration0015LeaderLease,
  '0016-account-lease-expiry': migration0016AccountLeaseExpiry,
  '0017-token-expiry-index': migration0017TokenExpiryIndex,
  '0018-account-data-version': migration0018AccountDataVersion,
  '0019-version-stamp-indexes': migration0019VersionStampIndexes,
  '0020-customer-account-index': migration0020CustomerAccountIndex,
};
