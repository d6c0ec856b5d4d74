/**
 * License transfers between virtual accounts of one Smart Account (DOMAIN §2 "transfer
 * licenses", issue 25). `plan` checks the request against what the last sync stored and
 * computes both VAs' allocation before and after (the what-if engine); it sends nothing.
 * `transfer` re-plans, then moves the licenses as one job, in chunks of at most 998 per CSSM
 * request as Cisco's own script does, and re-reads the account at once (a full sync of it),
 * so usage, alerts and the site show the new counts. A transfer CSSM accepts only in part
 * (one chunk of several refused) says exactly which chunks moved. The rebalancer's `--apply`
 * calls the same service.
 */
import type { Clock } from '../clock.ts';
import { findLicenseType, type LicenseTypeId } from '../domain/catalog.ts';
import {
  checkTransfer,
  isTransferRefusal,
  parseTransferQuantity,
  satelliteRefusal,
  type HeldLicense,
  type TransferLicenseType,
} from '../domain/transfers.ts';
import { TRANSFER_CHUNK_MAX, splitQuantity } from '../cssm/cssm.client.ts';
import { CSSM_NETWORK_CODES } from '../cssm/http.ts';
import { SmartlicError, toSmartlicError } from '../errors.ts';
import { whatIfEntitlements, type VaAllocationChange } from '../reports/whatif.ts';
import type { ReportDb } from '../reports/common.ts';
import type { Job, License, Repositories, SmartAccount, VirtualAccount } from '../store/index.ts';
import type { JobRunner } from './jobs.service.ts';
import type { SyncOutcome, SyncService } from './sync.service.ts';
import type { CssmClientFor } from './tokens.service.ts';
import { resolveVa, vaLabel } from './virtual-accounts.service.ts';

export type { TransferLicenseType } from '../domain/transfers.ts';

export interface TransferInput {
  /** The Smart Account (domain) of the source VA. */
  domain: string;
  fromVa: string;
  /** The target's Smart Account as the operator named it; default `domain`. */
  toDomain?: string;
  toVa: string;
  /** Catalog id (`HUCM_Foundation`), short name, regid tag, or CSSM's license name. */
  license: string;
  /** TERM or PERPETUAL; default the only type the source holds. */
  licenseType?: string;
  /** A positive whole number (a string is read as digits only). */
  quantity: number | string;
}

export interface TransferPlan {
  domain: string;
  from: string;
  to: string;
  /** CSSM's name of the license (what the transfer call sends). */
  license: string;
  /** The catalog type, when the license is in the catalog (the what-if needs it). */
  licenseTypeId: LicenseTypeId | null;
  licenseType: TransferLicenseType;
  quantity: number;
  /** What the source had available of that type at the last sync. */
  available: number;
  /** The quantity of each CSSM request, in order. */
  chunks: number[];
  /** Allocation before and after, source first; empty when the license is not in the catalog. */
  allocation: VaAllocationChange[];
  notes: string[];
}

export interface TransferChunkResult {
  /** 1-based, in the order sent. */
  index: number;
  quantity: number;
  /** SUCCESS / ERROR as CSSM answered; NOT_SENT after a refused chunk. */
  status: 'SUCCESS' | 'ERROR' | 'NOT_SENT';
  /** On ERROR: smartlic's code for CSSM's answer (CSSM1020, …) and its message. */
  code?: string;
  message?: string;
}

export interface TransferResult {
  job: Job;
  plan: TransferPlan;
  chunks: TransferChunkResult[];
  /** Licenses CSSM accepted (the sum of the SUCCESS chunks). */
  moved: number;
  /** The re-read of the account after the transfer. */
  resync: Pick<SyncOutcome, 'status' | 'error'>;
  /**
   * What the target owned of the license before the transfer and after the re-read (null when
   * the re-read failed): CSSM's own count, beside what the chunks' answers say.
   */
  target: { before: number; after: number | null };
}

export interface TransfersServiceDeps {
  db: ReportDb;
  repos: Repositories;
  jobs: JobRunner;
  clock: Clock;
  cssmFor: CssmClientFor;
  sync: Pick<SyncService, 'syncAccount'>;
}

function refusal(r: { code: string; message: string; action: string }): SmartlicError {
  return new SmartlicError({ code: r.code, message: r.message, action: r.action });
}

/** The stored license of the VA the operator's name designates (catalog id or CSSM name). */
function heldLicense(licenses: readonly License[], name: string): License | undefined {
  const known = findLicenseType(name);
  const lower = name.trim().toLowerCase();
  return licenses.find(
    (l) =>
      (known !== undefined && l.licenseType === known.id) ||
      l.displayName.toLowerCase() === lower ||
      l.licenseType.toLowerCase() === lower,
  );
}

function held(l: License | undefined): HeldLicense | undefined {
  if (!l) return undefined;
  const byType: Partial<Record<string, number>> = {};
  for (const d of l.details) byType[d.licenseType] = (byType[d.licenseType] ?? 0) + d.quantity;
  return { displayName: l.displayName, available: l.available, byType };
}

export class TransfersService {
  constructor(private readonly deps: TransfersServiceDeps) {}

  /** Checks the transfer against the stored state and computes its what-if; sends nothing. */
  async plan(input: TransferInput): Promise<TransferPlan> {
    return (await this.prepare(input)).plan;
  }

  private async prepare(input: TransferInput): Promise<{
    plan: TransferPlan;
    account: SmartAccount;
    from: VirtualAccount;
    to: VirtualAccount;
  }> {
    const { repos, db } = this.deps;
    // A bad quantity is refused before any name is looked up: nothing else matters then.
    const quantity = parseTransferQuantity(input.quantity);
    if (isTransferRefusal(quantity)) throw refusal(quantity);
    const { account, va: from } = await resolveVa(repos, input.domain, input.fromVa);
    if (account.source === 'satellite') throw refusal(satelliteRefusal(account.domain));
    const toDomain = input.toDomain ?? input.domain;
    const { account: toAccount, va: to } = await resolveVa(repos, toDomain, input.toVa);
    const licenses = await repos.licenses.listByVirtualAccount(from.id);
    const l = heldLicense(licenses, input.license);
    const verdict = checkTransfer({
      quantity: input.quantity,
      from: { domain: account.domain, va: from.name, satellite: false }, // refused above
      to: { domain: toAccount.domain, va: to.name },
      license: input.license,
      held: held(l),
      ...(input.licenseType !== undefined ? { licenseType: input.licenseType } : {}),
    });
    if (isTransferRefusal(verdict)) {
      if (verdict.code === 'TRANSFER_UNKNOWN_LICENSE' && licenses.length > 0) {
        // Name what it does hold: the fix is usually a spelling.
        const names = licenses.filter((x) => x.quantity > 0).map((x) => `"${x.displayName}"`);
        throw refusal({ ...verdict, action: `it holds ${names.join(', ')}; name one of them` });
      }
      throw refusal(verdict);
    }
    const typeId = findLicenseType(l!.licenseType)?.id ?? null;
    const notes: string[] = [];
    const allocation: VaAllocationChange[] = [];
    if (typeId) {
      for (const [va, delta] of [
        [from, -verdict.quantity],
        [to, verdict.quantity],
      ] as const) {
        const w = await whatIfEntitlements(db, {
          virtualAccountId: va.id,
          changes: [{ licenseType: typeId, delta }],
        });
        allocation.push(...w.changes);
        notes.push(...w.notes);
      }
    } else {
      notes.push(`${l!.displayName} is not in the license catalog: no allocation what-if for it`);
    }
    return {
      account,
      from,
      to,
      plan: {
        domain: account.domain,
        from: vaLabel(account, from),
        to: vaLabel(account, to),
        license: l!.displayName,
        licenseTypeId: typeId,
        licenseType: verdict.licenseType,
        quantity: verdict.quantity,
        available: verdict.available,
        chunks: splitQuantity(verdict.quantity, TRANSFER_CHUNK_MAX),
        allocation,
        notes: [...new Set(notes)],
      },
    };
  }

  /**
   * Moves the licenses as one job ("Transfer Licenses"), then re-reads the account. Refusals
   * (TRANSFER_*, NOT_FOUND) come before the job and send nothing. A refused chunk fails the
   * job with CSSM's code, and its message and `details.chunks` say what moved.
   */
  async transfer(
    input: TransferInput & { requestedBy: string; correlationId?: string },
  ): Promise<TransferResult> {
    const { plan, account, from, to } = await this.prepare(input);
    const what = `${plan.quantity} ${plan.licenseType} ${plan.license} from ${plan.from} to ${plan.to}`;
    const { job, result } = await this.deps.jobs.run(
      {
        jobType: 'Transfer Licenses',
        entityType: 'Virtual Account',
        entityName: plan.from,
        description: `Transfer ${what}`,
        requestedBy: input.requestedBy,
        ...(input.correlationId ? { correlationId: input.correlationId } : {}),
        // Its re-read (a sync of the account) runs inside this lease.
        account: { id: account.id, domain: account.domain },
        details: {
          from: plan.from,
          to: plan.to,
          license: plan.license,
          licenseType: plan.licenseType,
          quantity: plan.quantity,
          chunks: plan.chunks,
        },
      },
      async (handle) => {
        const ownedBefore = await this.owned(to, plan);
        const chunks = await this.send(account, from, to, plan);
        const moved = chunks
          .filter((c) => c.status === 'SUCCESS')
          .reduce((s, c) => s + c.quantity, 0);
        if (moved > 0)
          await handle.progress(`${moved} of ${plan.quantity} moved; re-reading ${plan.domain}`);
        const resync = await this.reread(account, input.requestedBy);
        const target = {
          before: ownedBefore,
          after: resync.status === 'Completed' ? await this.owned(to, plan) : null,
        };
        const reread =
          target.after === null
            ? ` The re-read of ${plan.domain} failed too: sync it to see where things stand.`
            : ` The re-read shows ${target.after} owned in ${plan.to} (${target.before} before).`;
        const failed = chunks.find((c) => c.status === 'ERROR');
        if (failed) {
          const sent = chunks.filter((c) => c.status !== 'NOT_SENT').length;
          // No answer is not a refusal: CSSM may have moved that chunk; the re-read tells.
          const unanswered = Object.values<string>(CSSM_NETWORK_CODES).includes(failed.code ?? '');
          throw new SmartlicError({
            code: failed.code ?? 'CSSM1020',
            message:
              `${moved === 0 ? 'Nothing moved' : `Only ${moved} of ${plan.quantity} moved`}${unanswered ? ' for certain' : ''}: ` +
              `CSSM ${unanswered ? 'did not answer' : 'refused'} request ${failed.index} of ${plan.chunks.length} (${failed.quantity} licenses): ${failed.message ?? 'no reason given'}. ` +
              chunks
                .map(
                  (c) =>
                    `#${c.index} ${c.quantity} ${c.status === 'NOT_SENT' ? 'not sent' : c.status}`,
                )
                .join(', ') +
              `.${reread}`,
            action: unanswered
              ? `compare the re-read count with ${target.before + plan.quantity} (all moved); once CSSM answers again, transfer what is missing`
              : moved === 0
                ? `nothing changed in CSSM; fix the cause, then run the transfer again`
                : `${moved} are in ${plan.to} now; transfer the remaining ${plan.quantity - moved} once the cause is fixed (${sent} request(s) were sent)`,
            details: { chunks, moved, target, plan: { ...plan, allocation: undefined } },
          });
        }
        return { chunks, moved, resync, target };
      },
      (r) =>
        `Transferred ${what} in ${r.chunks.length} request(s): ${r.chunks.map((c) => c.status).join(', ')}.` +
        (r.resync.status === 'Completed'
          ? ` ${plan.domain} re-read: ${r.target.after} owned in ${plan.to} (${r.target.before} before).`
          : ` The re-read of ${plan.domain} failed (${r.resync.error?.code ?? 'error'}): sync it.`),
    );
    return { job, plan, ...result };
  }

  /** What the VA owns of the plan's license, as stored (after the re-read: CSSM's count). */
  private async owned(va: VirtualAccount, plan: TransferPlan): Promise<number> {
    const l = (await this.deps.repos.licenses.listByVirtualAccount(va.id)).find(
      (x) =>
        (plan.licenseTypeId !== null && x.licenseType === plan.licenseTypeId) ||
        x.displayName === plan.license,
    );
    return l?.quantity ?? 0;
  }

  /** One request per chunk; after a refusal the rest is not sent. */
  private async send(
    account: SmartAccount,
    from: VirtualAccount,
    to: VirtualAccount,
    plan: TransferPlan,
  ): Promise<TransferChunkResult[]> {
    const cssm = await this.deps.cssmFor(account);
    const fromVa = from.name;
    const toVa = to.name;
    const out: TransferChunkResult[] = plan.chunks.map((quantity, i) => ({
      index: i + 1,
      quantity,
      status: 'NOT_SENT',
    }));
    try {
      await cssm.client.transferLicenses(cssm.accountKey, fromVa, [
        {
          license: plan.license,
          licenseType: plan.licenseType,
          quantity: plan.quantity,
          targetVirtualAccount: toVa,
        },
      ]);
      for (const c of out) c.status = 'SUCCESS';
    } catch (e) {
      const err = toSmartlicError(e);
      // The client stops at the first refused request and says how many went through before.
      const done = Number(err.details?.completedRequests ?? 0);
      for (const c of out) {
        if (c.index <= done) c.status = 'SUCCESS';
        else if (c.index === done + 1) {
          c.status = 'ERROR';
          c.code = err.code;
          const said = err.details?.cssmMessage;
          c.message = typeof said === 'string' ? said : err.message;
        }
      }
    }
    return out;
  }

  /** A full sync of the account; one that was already running is joined, then run again. */
  private async reread(
    account: SmartAccount,
    requestedBy: string,
  ): Promise<Pick<SyncOutcome, 'status' | 'error'>> {
    try {
      let o = await this.deps.sync.syncAccount(account.domain, { requestedBy, full: true });
      // A sync that began before the transfer may have read the old counts.
      if (o.joined)
        o = await this.deps.sync.syncAccount(account.domain, { requestedBy, full: true });
      return { status: o.status, ...(o.error ? { error: o.error } : {}) };
    } catch (e) {
      const err = toSmartlicError(e);
      return { status: 'Failed', error: { code: err.code, message: err.message } };
    }
  }
}
