import { Command } from 'commander';
import { registerAccessCommands } from './commands/access.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerCoordinatorCommands } from './commands/coordinator.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDirectoryCommand } from './commands/directory.js';
import { registerGenerateCommand } from './commands/generate.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerNodeCommands } from './commands/node.js';
import { registerNodesCommand } from './commands/nodes.js';
import { registerQueryCommand } from './commands/query.js';
import { registerVerifyCommand } from './commands/verify.js';

/** The `biospec` command tree. */
export function createProgram(): Command {
  const program = new Command('biospec')
    .description('Biospecimen federation: nodes answer signed, disclosure-controlled feasibility queries; a coordinator routes and merges them.')
    .version('0.1.0')
    // A usage error is one line, as every other error of the CLI (report-error.ts); subcommands inherit this.
    .configureOutput({ outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (--help lists the options)\n`) });
  registerNodeCommands(program);
  registerCoordinatorCommands(program);
  registerQueryCommand(program);
  registerNodesCommand(program);
  registerAccessCommands(program);
  registerDirectoryCommand(program);
  registerVerifyCommand(program);
  registerAuditCommands(program);
  registerKeysCommands(program);
  registerGenerateCommand(program);
  registerDemoCommand(program);
  return program;
}
