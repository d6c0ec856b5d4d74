/**
 * Registration tokens (DOMAIN §1, §2): create in CSSM (with the export-control choice HCM-F
 * lacks), list, revoke, and "a valid token for this VA" for registration. Token strings are
 * secrets: stored encrypted, never logged, shown only masked — except once, to the operator
 * who created one.
 */
import type { Clock } from '../clock.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import type { CssmClient } from '../cssm/cssm.client.ts';
import { SmartlicError, toSmartlicError } from '../errors.ts';
import type {
  Job,
  RegistrationToken,
  Repositories,
  SmartAccount,
  TokenStatus,
  VirtualAccount,
} from '../store/index.ts';
import type { JobRunner } from './jobs.service.ts';
import { resolveAccount, resolveVa, vaLabel } from './virtual-accounts.service.ts';
import { maskToken } from '../domain/token-mask.ts';
import { mintToken } from './token-policy.ts';

/**
 * A CSSM client for a stored account (cloud or On-Prem) and the key its paths use (SA domain,
 * or the satellite's local account name). clients.ts's ClientFactory provides both.
 */
export type CssmClientFor = (
  account: SmartAccount,
) => Promise<{ client: CssmClient; accountKey: string }>;

export { maskToken };

export interface TokenView extends RegistrationToken {
  masked: string;
  smartAccount: string;
  virtualAccount: string;
}

export interface CreateTokenInput {
  domain: string;
  va: string;
  description?: string;
  expiresAfterDays?: number;
  /** The export-control flag CSSM records: true = "Allowed". */
  exportControlled: boolean;
  requestedBy: string;
  correlationId?: string;
}

export interface TokensServiceDeps {
  repos: Repositories;
  jobs: JobRunner;
  clock: Clock;
  cssmFor: CssmClientFor;
  /** Lifetime asked of CSSM when smartlic creates a token (config sync.tokenExpiresAfterDays). */
  defaultExpiresAfterDays?: number;
}

export class TokensService {
  constructor(private readonly deps: TokensServiceDeps) {}

  /** Creates a token in CSSM and stores it; the result carries the plaintext once. */
  async create(input: CreateTokenInput): Promise<{ job: Job; token: TokenView; value: string }> {
    const { account, va } = await resolveVa(this.deps.repos, input.domain, input.va);
    const days = input.expiresAfterDays ?? this.deps.defaultExpiresAfterDays ?? 365;
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `a token lifetime must be 1–365 days (got ${days})`,
        action: 'pass --days N with N between 1 and 365',
      });
    }
    const { job, result } = await this.deps.jobs.run(
      {
        jobType: 'Create Token',
        entityType: 'Virtual Account',
        entityName: vaLabel(account, va),
        account: { id: account.id, domain: account.domain },
        description: `Create a registration token in ${vaLabel(account, va)} (${days} days, export control ${input.exportControlled ? 'Allowed' : 'Not Allowed'})`,
        requestedBy: input.requestedBy,
        ...(input.correlationId ? { correlationId: input.correlationId } : {}),
      },
      () =>
        this.mint(account, va, {
          description: input.description ?? `smartlic (${input.requestedBy})`,
          days,
          exportControlled: input.exportControlled,
          createdBy: input.requestedBy,
        }),
      (r) =>
        `Token ${r.token.masked} created, expires ${r.token.expiresAt?.toISOString() ?? 'never'}.`,
    );
    return { job, ...result };
  }

  async list(
    filter: { domain?: string; va?: string; status?: TokenStatus } = {},
  ): Promise<TokenView[]> {
    const { repos } = this.deps;
    let vaFilter: { va: VirtualAccount; account: SmartAccount }[];
    if (filter.domain && filter.va) {
      vaFilter = [await resolveVa(repos, filter.domain, filter.va)];
    } else if (filter.domain) {
      const account = await resolveAccount(repos, filter.domain);
      vaFilter = (await repos.virtualAccounts.listBySmartAccount(account.id)).map((va) => ({
        va,
        account,
      }));
    } else {
      const accounts = new Map((await repos.smartAccounts.list()).map((a) => [a.id, a]));
      vaFilter = (await repos.virtualAccounts.listAll()).flatMap((va) => {
        const account = accounts.get(va.smartAccountId);
        return account ? [{ va, account }] : [];
      });
    }
    const out: TokenView[] = [];
    for (const { va, account } of vaFilter) {
      const tokens = await repos.tokens.list({
        virtualAccountId: va.id,
        ...(filter.status ? { status: filter.status } : {}),
      });
      for (const t of tokens) out.push(await this.view(t, account, va));
    }
    return out;
  }

  /**
   * Revokes a stored token in CSSM and marks it Revoked. `ref` is the token id or its masked
   * form as `token list` shows it.
   */
  async revoke(input: {
    ref: string;
    reason?: string;
    requestedBy: string;
  }): Promise<{ job: Job; token: TokenView }> {
    const { repos } = this.deps;
    const token = await this.find(input.ref);
    const va = await repos.virtualAccounts.getById(token.virtualAccountId);
    const account = va && (await repos.smartAccounts.getById(va.smartAccountId));
    if (!va || !account)
      throw new SmartlicError({ code: 'NOT_FOUND', message: "the token's VA is gone" });
    const view = await this.view(token, account, va);
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Revoke Token',
        entityType: 'Virtual Account',
        entityName: vaLabel(account, va),
        account: { id: account.id, domain: account.domain },
        description: `Revoke token ${view.masked} (id ${token.id}) of ${vaLabel(account, va)}`,
        requestedBy: input.requestedBy,
      },
      async () => {
        if (token.status === 'Revoked') return;
        const value = await repos.tokens.reveal(token.id);
        const cssm = await this.deps.cssmFor(account);
        if (value) await cssm.client.revokeTokens(cssm.accountKey, va.name, [value], input.reason);
        await repos.tokens.markRevoked(token.id);
      },
      () => `Token ${view.masked} revoked.`,
    );
    return { job, token: { ...view, status: 'Revoked' } };
  }

  /**
   * A token of `va` valid for at least `minRemainingDays` more (1 by default); creates one in
   * CSSM when there is none. Failures are SLM1010 (DOMAIN §7), with CSSM's error as cause.
   */
  async getOrCreateValid(
    account: SmartAccount,
    va: VirtualAccount,
    opts: { exportControlled?: boolean; requestedBy: string; minRemainingDays?: number },
  ): Promise<{ token: RegistrationToken; value: string; created: boolean }> {
    const { repos } = this.deps;
    const found = await repos.tokens.findValid(va.id, {
      minRemainingMs: (opts.minRemainingDays ?? 1) * DAY_MS,
      // Always match the choice: a plain registration must never get an export-controlled token.
      exportControlled: opts.exportControlled === true,
    });
    if (found) return { ...found, created: false };
    try {
      const r = await this.mint(account, va, {
        description: `smartlic registration (${opts.requestedBy})`,
        days: this.deps.defaultExpiresAfterDays ?? 365,
        exportControlled: opts.exportControlled === true,
        createdBy: opts.requestedBy,
      });
      return { token: r.token, value: r.value, created: true };
    } catch (e) {
      const err = toSmartlicError(e);
      throw new SmartlicError({
        code: 'SLM1010',
        message: `cannot generate or retrieve a registration token for ${vaLabel(account, va)}: ${err.toLine()}`,
        action: err.action ?? 'check the account credentials and sync with CSSM, then retry',
        cause: err,
        details: { cssmCode: err.code },
      });
    }
  }

  private async mint(
    account: SmartAccount,
    va: VirtualAccount,
    t: { description: string; days: number; exportControlled: boolean; createdBy: string },
  ): Promise<{ token: TokenView; value: string }> {
    const cssm = await this.deps.cssmFor(account);
    const created = await mintToken(cssm.client, cssm.accountKey, va.name, {
      description: t.description,
      expiresAfterDays: t.days,
      exportControlled: t.exportControlled,
    });
    const now = this.deps.clock.now();
    const stored = await this.deps.repos.tokens.store({
      virtualAccountId: va.id,
      token: created.token,
      description: created.description ?? t.description,
      expiresAt: created.expirationDate ?? new Date(now.getTime() + t.days * DAY_MS),
      exportControlled: created.exportControlled
        ? created.exportControlled.toLowerCase() === 'allowed'
        : t.exportControlled,
      createdBy: created.createdBy ?? t.createdBy,
      status: 'Active',
      createdAt: now,
    });
    return { token: await this.view(stored, account, va, created.token), value: created.token };
  }

  private async find(ref: string): Promise<RegistrationToken> {
    const { repos } = this.deps;
    const r = ref.trim();
    if (/^\d+$/.test(r)) {
      const all = await repos.tokens.list();
      const t = all.find((x) => x.id === Number(r));
      if (t) return t;
    } else {
      const byValue = await repos.tokens.findByValue(r);
      if (byValue) return byValue;
      const matches: RegistrationToken[] = [];
      for (const t of await repos.tokens.list()) {
        if ((await this.masked(t)) === r) matches.push(t);
      }
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) {
        throw new SmartlicError({
          code: 'INPUT',
          message: `${matches.length} tokens show as ${r}`,
          action: 'name the token by its id (`smartlic token list` shows it)',
        });
      }
    }
    throw new SmartlicError({
      code: 'NOT_FOUND',
      message: `no stored token ${r}`,
      action: 'see `smartlic token list` for ids',
    });
  }

  /** The stored mask; a token stored before masks were kept is decrypted once to make it. */
  private async masked(t: RegistrationToken): Promise<string> {
    if (t.masked !== null) return t.masked;
    const m = maskToken((await this.deps.repos.tokens.reveal(t.id)) ?? '');
    await this.deps.repos.tokens.setMasked(t.id, m);
    return m;
  }

  private async view(
    t: RegistrationToken,
    account: SmartAccount,
    va: VirtualAccount,
    plain?: string,
  ): Promise<TokenView> {
    return {
      ...t,
      masked: plain !== undefined ? maskToken(plain) : await this.masked(t),
      smartAccount: account.domain,
      virtualAccount: va.name,
    };
  }
}
