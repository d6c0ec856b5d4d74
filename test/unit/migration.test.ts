// Real: core/domain/migration.ts with the real allocation, catalog and version rules. Faked: nothing
// (pure functions over literal cluster and VA facts).
import { describe, expect, it } from 'vitest';
import {
  planClusterMigration,
  type ClusterFacts,
  type TargetVirtualAccount,
} from '../../core/domain/migration.ts';

const cucm = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  name: 'cl-1',
  type: 'CUCM',
  version: '12.5.1.11900-146',
  licenseMode: 'Enterprise',
  registered: true,
  virtualAccount: 'va-ops',
  demand: [{ type: 'UCM_Enhanced', count: 40 }],
  ...over,
});

const va = (over: Partial<TargetVirtualAccount> = {}): TargetVirtualAccount => ({
  name: 'va-ops',
  licenseMode: 'HCS',
  assignedClusters: 0,
  entitlements: [{ type: 'HUCM_Foundation', quantity: 30 }],
  otherRequests: [],
  ...over,
});

const actions = (p: { steps: { action: string }[] }) => p.steps.map((s) => s.action);

describe('planClusterMigration', () => {
  it('below 12.x: Enterprise → HCS installs the HCS mode COP file on the publisher (and PLM)', () => {
    const p = planClusterMigration(cucm({ version: '11.5(1)SU3', hasPlm: true }), 'HCS');
    expect(p.feasible).toBe(true);
    expect(p.from.licensing).toBe('PLM');
    expect(actions(p)).toEqual(['backup', 'install-cop', 'install-cop-plm', 'verify-plm']);
    expect(p.steps[1]!.title).toContain('ciscocm.HCSMode_P0029-2.cop.sgn');
    expect(p.steps[1]!.detail).toContain('ciscocm.HCSMode_v4.cop.sgn');
    expect(p.steps[1]!.requiresReboot).toBe(true);
    expect(p.steps.map((s) => s.order)).toEqual([1, 2, 3, 4]);
  });

  it('below 12.x: HCS → Enterprise uses the Enterprise mode COP file', () => {
    const p = planClusterMigration(cucm({ version: '10.5.2', licenseMode: 'HCS' }), 'Enterprise');
    expect(p.steps.find((s) => s.action === 'install-cop')!.title).toContain(
      'ciscocm.EnterpriseMode_P0030-2.cop.sgn',
    );
  });

  it('12.x+: no license migration, mode change through deregister → VA mode → app mode → register', () => {
    const p = planClusterMigration(cucm(), 'HCS', { targetVa: va({ licenseMode: 'Enterprise' }) });
    expect(p.notes.join(' ')).toMatch(/No license migration is needed/);
    expect(actions(p)).toEqual([
      'deregister',
      'set-va-mode',
      'set-app-mode',
      'assign',
      'set-transport',
      'token',
      'register',
      'verify',
    ]);
    expect(p.steps.find((s) => s.action === 'set-app-mode')!.requiresReboot).toBe(true);
  });

  it('reports the allocation effect: Enterprise Enhanced demand moves onto HCS Foundation', () => {
    const target = va({
      entitlements: [
        { type: 'UCM_Enhanced', quantity: 10 },
        { type: 'HUCM_Foundation', quantity: 30 },
      ],
    });
    const p = planClusterMigration(cucm(), 'HCS', { targetVa: target });
    // Before: Enterprise mode draws 10 own + 30 via dual parenting. After: HCS mode draws only HCS
    // Foundation (30) → 10 short.
    expect(p.allocation!.before.shortages).toEqual([]);
    expect(p.allocation!.newShortages).toEqual([{ type: 'UCM_Enhanced', quantity: 10 }]);
  });

  it('blocks a VA mode change while other clusters are assigned (SLM1014)', () => {
    const p = planClusterMigration(cucm(), 'HCS', {
      targetVa: va({ licenseMode: 'Enterprise', assignedClusters: 3 }),
    });
    expect(p.feasible).toBe(false);
    expect(p.blockers.map((b) => b.code)).toEqual(['SLM1014']);
  });

  it('HCS-LE is refused from 12.5(1)SU7 / 14(1)SU1', () => {
    const p = planClusterMigration(cucm({ version: '14SU2' }), 'HCS', { hcsLe: true });
    expect(p.blockers[0]!.code).toBe('SLMCT1006');
    expect(
      planClusterMigration(cucm({ version: '12.5.1.11900-146' }), 'HCS', { hcsLe: true }).feasible,
    ).toBe(true);
  });

  it('already in the target mode: nothing to do', () => {
    const p = planClusterMigration(cucm({ licenseMode: 'HCS' }), 'HCS');
    expect(p.nothingToDo).toBe(true);
    expect(p.steps).toEqual([]);
  });

  it('PLM → Smart needs a target release of 12.x or later and ends registered', () => {
    const noTarget = planClusterMigration(
      cucm({ version: '11.5(1)SU3', registered: false, virtualAccount: undefined }),
      'Smart',
    );
    expect(noTarget.feasible).toBe(false);
    expect(noTarget.blockers[0]!.code).toBe('SLMCT1006');

    const p = planClusterMigration(
      cucm({ version: '11.5(1)SU3', registered: false, virtualAccount: undefined }),
      'Smart',
      {
        targetVersion: '15.0.1.10000-32',
        targetVa: va({
          licenseMode: 'Enterprise',
          entitlements: [{ type: 'UCM_CUWL', quantity: 100 }],
        }),
      },
    );
    expect(p.feasible).toBe(true);
    expect(actions(p)).toEqual([
      'convert-licenses',
      'upgrade',
      'assign',
      'set-transport',
      'token',
      'register',
      'verify',
    ]);
    // The cluster starts drawing on the VA: 40 Enhanced served by CUWL.
    expect(p.allocation!.after.substitutions).toEqual([
      { from: 'UCM_Enhanced', to: 'UCM_CUWL', quantity: 40 },
    ]);
    expect(p.allocation!.before.licenses.find((l) => l.type === 'UCM_CUWL')!.inUse).toBe(0);

    const tooOld = planClusterMigration(cucm({ version: '10.5.2', registered: false }), 'Smart', {
      targetVersion: '11.5(1)SU9',
    });
    expect(tooOld.blockers.map((b) => b.code)).toContain('SLMCT1006');
  });

  it('unsupported application types are refused (SLMCT1015)', () => {
    const p = planClusterMigration(cucm({ type: 'IMP' }), 'HCS');
    expect(p.feasible).toBe(false);
    expect(p.blockers[0]!.code).toBe('SLMCT1015');
  });

  it('an unparseable version names the input', () => {
    const p = planClusterMigration(cucm({ version: 'banana' }), 'HCS');
    expect(p.blockers[0]!.message).toContain('banana');
  });
});
