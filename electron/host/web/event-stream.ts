// Server-sent events for web mode: one stream per page, every app event as a JSON `data:` line,
// with a heartbeat so proxies and the browser keep the connection open.
import type { ServerResponse } from 'node:http';

export class EventStreamHub {
  private readonly clients = new Set<ServerResponse>();

  attach(res: ServerResponse, initial: unknown[] = []): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    for (const event of initial) res.write(`data: ${JSON.stringify(event)}\n\n`);
    this.clients.add(res);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(heartbeat);
      this.clients.delete(res);
    });
  }

  broadcast(event: unknown): void {
    const line = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of this.clients) res.write(line);
  }

  closeAll(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  get size(): number {
    return this.clients.size;
  }
}
