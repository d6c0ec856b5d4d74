// The allocation inputs of every VA a move touches, before and after: a moved cluster's
// requests leave its VA and join the target's. Entitlements do not move.
import type { WhatIfData } from '../../lib/types.ts';

export type WhatIfVa = WhatIfData['virtualAccounts'][number];
type Input = {
  entitlements: { type: string; quantity: number }[];
  requests: WhatIfData['clusters'][number]['requests'];
};

export function moveClusters(
  data: WhatIfData,
  clusterIds: readonly number[],
  to: number,
): { involved: Set<number>; before: Map<number, Input>; after: Map<number, Input> } {
  const moving = new Set(clusterIds);
  const involved = new Set<number>([to]);
  for (const c of data.clusters)
    if (moving.has(c.id) && c.virtualAccountId !== null) involved.add(c.virtualAccountId);
  const before = new Map<number, Input>();
  const after = new Map<number, Input>();
  for (const va of data.virtualAccounts) {
    if (!involved.has(va.id)) continue;
    before.set(va.id, { entitlements: va.entitlements, requests: [] });
    after.set(va.id, { entitlements: va.entitlements, requests: [] });
  }
  for (const c of data.clusters) {
    const was = c.virtualAccountId;
    const now = moving.has(c.id) ? to : was;
    if (was !== null) before.get(was)?.requests.push(...c.requests);
    if (now !== null) after.get(now)?.requests.push(...c.requests);
  }
  return { involved, before, after };
}
