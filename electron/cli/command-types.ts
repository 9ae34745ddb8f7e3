// The shape of a subcommand module.
import type { Command } from 'commander';
import type { CommandContext } from './command-context.js';

export type RunAction = (command: Command, action: (ctx: CommandContext) => Promise<void>) => Promise<void>;

export type CommandRegistrar = (program: Command, run: RunAction) => void;
