#!/usr/bin/env node
// Entry shim: lets `npx smartlic` and `npm start` run the TypeScript sources without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./smartlic.ts');
