import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { trim } from './bounded';
import type { EmulatorRequest } from './types';
import { badRequestReply, pathOf, readBody, tooLarge, writeJson } from './wire';
import type { Answer, ApiRequest } from './wire';

/** What the server hands requests to. */
export interface Routes {
  /**
   * A link visit, answered before the body is read and never failed nor delayed; `null` when
   * `path` is not a link.
   */
  visit(method: string, path: string): Answer | null;
  /** Any other request, once its body is read and unless a failure was injected. */
  api(req: ApiRequest): Answer;
}

interface Sleeper {
  timer: NodeJS.Timeout;
  wake: () => void;
}

/**
 * The HTTP side of the emulator: listens on `127.0.0.1`, logs requests, reads bodies and applies
 * the fault switches (injected failures, delay, refused connections) around the routes.
 */
export class EmulatorServer {
  readonly requests: EmulatorRequest[] = [];

  private readonly server: Server;
  private readonly sleepers = new Set<Sleeper>();
  private listeningPort = 0;
  private failures = { remaining: 0, status: 500, body: undefined as unknown };
  private delayMs = 0;
  private refusing = false;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly routes: Routes,
    private readonly maxEntries: number,
  ) {
    this.server = createServer((req, res) => {
      // Pooled keep-alive sockets were opened before the refusal; reset them at their next request.
      if (this.refusing) {
        req.socket.destroy();
        return;
      }
      this.handle(req, res).catch(() => {
        if (res.headersSent) res.destroy();
        else writeJson(res, { status: 500, body: { message: 'Internal Server Error' } });
      });
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.refusing) socket.destroy();
    });
    this.server.on('clientError', (_err: Error, socket: Socket) => {
      if (socket.writable) socket.end(badRequestReply());
      socket.destroy();
    });
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.listeningPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  failNext(count: number, status: number, body?: unknown): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new TypeError('failNext: count must be a non-negative integer. Pass 0 to clear.');
    }
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new TypeError(
        'failNext: status must be an HTTP status from 200 to 599. Pass e.g. 500.',
      );
    }
    this.failures = { remaining: count, status, body };
  }

  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TypeError('delay: ms must be a non-negative number. Pass 0 to clear.');
    }
    this.delayMs = ms;
  }

  refuseConnections(on: boolean): void {
    this.refusing = on;
  }

  /** Clear the request log and every fault switch. */
  reset(): void {
    this.requests.length = 0;
    this.failures = { remaining: 0, status: 500, body: undefined };
    this.delayMs = 0;
    this.refusing = false;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const sleeper of this.sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.wake();
      }
      this.sleepers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = pathOf(req.url);
    this.requests.push({ method, path });
    trim(this.requests, this.maxEntries);

    const visit = this.routes.visit(method, path);
    if (visit !== null) {
      req.resume();
      writeJson(res, visit);
      return;
    }

    const body = await readBody(req);
    if (body.kind === 'aborted') return;
    let answer: Answer;
    if (this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      answer = this.injectedFailure();
    } else if (body.kind === 'too-large') {
      answer = tooLarge();
    } else {
      answer = this.routes.api({ method, path, headers: req.headers, raw: body.raw });
    }
    if (this.delayMs > 0) await this.sleep(this.delayMs);
    writeJson(res, answer);
  }

  private injectedFailure(): Answer {
    const { status, body } = this.failures;
    const headers: Record<string, string> = status === 429 ? { 'Retry-After': '1' } : {};
    return {
      status,
      body: body === undefined ? { message: STATUS_CODES[status] ?? 'Error' } : body,
      headers,
    };
  }

  private sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}
