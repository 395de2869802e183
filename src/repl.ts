/**
 * Moleculer's REPL (moleculer-repl) attached to a running node, made fit for both a person and
 * a pipe: commands run one at a time in the order given (moleculer-repl starts each line as it
 * arrives, and its one command parser mixes up commands that overlap), the node stops only after
 * the last one has answered, and output to something that is not a terminal carries no colour
 * codes. The node's log goes to a file meanwhile (LOG_FILE, set by bin/server.ts), not between
 * the prompts.
 */
import type { HabitNode } from "./node";

// CSI sequences (colours, cursor moves) as util.inspect and kleur write them.
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

function plain(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(typeof chunk === "string" ? chunk.replace(ANSI, "") : chunk, ...rest)) as typeof stream.write;
}

type Evaluator = (command: string, context: object, file: string, callback: (...answer: unknown[]) => void) => void;

export async function attachRepl(node: HabitNode): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) if (!stream.isTTY) plain(stream);
  const server = (await node.broker.repl()) as unknown as {
    eval: Evaluator;
    removeAllListeners(event: string): void;
    on(event: string, listener: () => void): void;
  };
  // One command at a time, in order.
  let queue: Promise<void> = Promise.resolve();
  const evaluate = server.eval;
  server.eval = (command, context, file, callback) => {
    queue = queue.then(
      () =>
        new Promise<void>((done) => {
          // The answer passed on as given: the REPL prints a result only when there is one.
          evaluate.call(server, command, context, file, (...answer) => {
            callback(...answer);
            done();
          });
        }),
    );
  };
  // On the end of input (or Ctrl+D), answer everything asked first, then stop the node.
  server.removeAllListeners("exit");
  server.on("exit", () => {
    void queue.then(async () => {
      await node.stop();
      process.exit(0);
    });
  });
}
