// Entry point of the `apollo-chat` bundle (dist/cli.mjs).
import { main } from './program.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
