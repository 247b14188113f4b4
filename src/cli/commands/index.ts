// The commands app developers and operators type, named and flagged as the cf CLI's.
import type { Command } from 'commander';
import { registerAdmin } from './admin.js';
import { registerApps } from './apps.js';
import { registerCells } from './cells.js';
import { registerCni } from './cni.js';
import { registerEnv } from './env.js';
import { registerExplain } from './explain.js';
import { registerFlows } from './flows.js';
import { registerLogin } from './login.js';
import { registerPolicies } from './policies.js';
import { registerPush } from './push.js';
import { registerQuotas } from './quotas.js';
import { registerRoutes } from './routes.js';
import { registerTenancy } from './tenancy.js';

export function registerUserCommands(program: Command): void {
  registerLogin(program);
  registerTenancy(program);
  registerQuotas(program);
  registerPush(program);
  registerApps(program);
  registerEnv(program);
  registerRoutes(program);
  registerPolicies(program);
  registerFlows(program);
  registerExplain(program);
  registerAdmin(program);
  registerCells(program);
  registerCni(program);
}
