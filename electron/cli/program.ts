// The `apollo-chat` program: global conventions, then one module per subcommand.
import { Command, CommanderError, Option } from 'commander';
import { ApolloError } from '../shared/errors.js';
import { reportError, runCommand, type CliIO, type GlobalOptions } from './command-context.js';
import type { CommandRegistrar, RunAction } from './command-types.js';
import { registerAskCommand } from './commands/ask.js';
import { registerChatCommand } from './commands/chat.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerServeCommand } from './commands/serve.js';
import { registerPullCommand } from './commands/pull.js';
import { registerModelsCommand } from './commands/models.js';
import { registerRmCommand } from './commands/rm.js';
import { registerGenerateCommand } from './commands/generate.js';
import { registerPrepareCommand } from './commands/prepare.js';
import { registerMakeTinyModelCommand } from './commands/make-tiny-model.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerFramesCommand } from './commands/frames.js';

import { CLI_VERSION } from './version.js';


/** Subcommands, in the order `--help` lists them. Later capabilities append here. */
const registrars: CommandRegistrar[] = [registerServeCommand, registerDoctorCommand, registerPrepareCommand, registerMakeTinyModelCommand, registerGenerateCommand, registerEmbedCommand, registerPlanCommand, registerFramesCommand, registerAskCommand, registerChatCommand, registerPullCommand, registerModelsCommand, registerRmCommand];

export function buildProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command('apollo-chat');
  program
    .description('Ask questions about a local video with the Apollo video language model, offline.')
    .version(CLI_VERSION, '-V, --version')
    .addOption(new Option('--json', 'machine-readable output on stdout'))
    .addOption(new Option('--debug', 'print stack traces and internal details on errors'))
    .addOption(new Option('--no-progress', 'do not print progress on stderr'))
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {}, // usage errors are reported by main() with their code
    })
    .exitOverride();

  const run: RunAction = async (command, action) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    setExitCode(await runCommand(options, io, action));
  };
  for (const register of registrars) register(program, run);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => {} }));
  return program;
}

/** Runs the CLI and returns its exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  const wantsJson = argv.includes('--json');
  const wantsDebug = argv.includes('--debug');
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      const text = error.message.replace(/^error:\s*/i, '').trim();
      const sentence = text.endsWith('.') ? text : `${text}.`;
      return reportError(new ApolloError('USAGE', `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)} Run \`apollo-chat --help\` for usage.`), { json: wantsJson, debug: wantsDebug }, io);
    }
    return reportError(error, { json: wantsJson, debug: wantsDebug }, io);
  }
}
