// A small client for planocr.v1.OcrService, loading the contract from protos/ at run time.
//
//   import { PlanocrClient } from "./client.js";
//   const client = new PlanocrClient("127.0.0.1:50051", { token: process.env.PLANOCR_TOKEN });
//   const reply = await client.processPage(pageId);
//   for await (const event of client.processDocument(documentId)) { ... }
//
// Messages use the proto3 JSON names (camelCase), enums their names, int64 as strings.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");

/** Where protos/ and google/rpc/status.proto are (tools/gen_protos.py puts the latter in build/proto-deps). */
export function protoIncludeDirs() {
  const protos = process.env.PLANOCR_PROTOS || path.join(repoRoot, "protos");
  const deps = process.env.PLANOCR_PROTO_DEPS || path.join(repoRoot, "build", "proto-deps");
  if (!fs.existsSync(path.join(deps, "google", "rpc", "status.proto"))) {
    throw new Error(`google/rpc/status.proto not found under ${deps}: run "make proto" (tools/gen_protos.py) or set PLANOCR_PROTO_DEPS`);
  }
  return [protos, deps];
}

const LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

function loadService(includeDirs) {
  const definition = protoLoader.loadSync("planocr/v1/ocr_service.proto", { ...LOADER_OPTIONS, includeDirs });
  return grpc.loadPackageDefinition(definition).planocr.v1.OcrService;
}

function loadStatusTypes(includeDirs) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target; // google/protobuf/*.proto: protobufjs has them built in
  };
  root.loadSync("google/rpc/status.proto");
  // ErrorInfo lives in error_details.proto, which the contract does not import: declare its two fields we read.
  root.add(
    new protobuf.Type("ErrorInfo")
      .add(new protobuf.Field("reason", 1, "string"))
      .add(new protobuf.Field("domain", 2, "string"))
      .add(new protobuf.MapField("metadata", 3, "string", "string")),
  );
  return { Status: root.lookupType("google.rpc.Status"), ErrorInfo: root.lookupType("ErrorInfo") };
}

/** An RPC failure with the status code name and planocr's stable reason (google.rpc.ErrorInfo). */
export class PlanocrError extends Error {
  constructor(code, details, reason, metadata) {
    super(`${code}: ${details}`);
    this.code = code;
    this.details = details;
    this.reason = reason;
    this.metadata = metadata;
  }

  toJSON() {
    return { code: this.code, details: this.details, reason: this.reason, metadata: this.metadata };
  }
}

export class PlanocrClient {
  /**
   * @param {string} target host:port
   * @param {object} [options]
   * @param {boolean} [options.tls] use TLS (implied by ca, cert or key)
   * @param {Buffer} [options.ca] PEM of the CA that signed the server certificate (default: system roots)
   * @param {Buffer} [options.cert] client certificate PEM, for mutual TLS
   * @param {Buffer} [options.key] client key PEM, for mutual TLS
   * @param {string} [options.token] sent as "authorization: Bearer <token>"
   * @param {number} [options.timeoutSeconds] deadline of unary calls (default 60)
   */
  constructor(target, options = {}) {
    const includeDirs = protoIncludeDirs();
    const Service = loadService(includeDirs);
    this.statusTypes = loadStatusTypes(includeDirs);
    const tls = options.tls || Boolean(options.ca || options.cert || options.key);
    const credentials = tls
      ? grpc.credentials.createSsl(options.ca || null, options.key || null, options.cert || null)
      : grpc.credentials.createInsecure();
    this.stub = new Service(target, credentials, {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
    this.token = options.token;
    this.timeoutSeconds = options.timeoutSeconds ?? 60;
  }

  close() {
    this.stub.close();
  }

  metadata() {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set("authorization", `Bearer ${this.token}`);
    return metadata;
  }

  deadline(seconds = this.timeoutSeconds) {
    return seconds ? new Date(Date.now() + seconds * 1000) : Infinity;
  }

  /** Turns a grpc-js error into a PlanocrError carrying the ErrorInfo reason. */
  error(err) {
    const code = grpc.status[err.code] ?? String(err.code);
    let reason = "";
    let metadata = {};
    const [details] = err.metadata ? err.metadata.get("grpc-status-details-bin") : [];
    if (details) {
      const status = this.statusTypes.Status.decode(details);
      for (const detail of status.details) {
        if (detail.type_url.endsWith("/google.rpc.ErrorInfo")) {
          const info = this.statusTypes.ErrorInfo.decode(detail.value);
          reason = info.reason;
          metadata = info.metadata;
        }
      }
    }
    return new PlanocrError(code, err.details, reason, metadata);
  }

  unary(method, request, timeoutSeconds) {
    return new Promise((resolve, reject) => {
      this.stub[method](request, this.metadata(), { deadline: this.deadline(timeoutSeconds) }, (err, reply) =>
        err ? reject(this.error(err)) : resolve(reply),
      );
    });
  }

  /** Reads one page now (outcome PROCESS_OUTCOME_PROCESSED, _ALREADY_COMPLETED or _PROCESSED_ELSEWHERE). */
  processPage(pageId, { force = false, engine = "", view = "PAGE_VIEW_FULL", timeoutSeconds } = {}) {
    return this.unary("ProcessPage", { pageId, options: { force, engine }, view }, timeoutSeconds);
  }

  getPage(pageId, { view = "PAGE_VIEW_FULL", timeoutSeconds } = {}) {
    return this.unary("GetPage", { pageId, view }, timeoutSeconds);
  }

  getDocument(documentId, { timeoutSeconds } = {}) {
    return this.unary("GetDocument", { documentId }, timeoutSeconds);
  }

  /**
   * Reads every page of a document; yields each event of the stream:
   * {started}, then one {page} per page as it finishes, then {summary}.
   * No deadline by default: a large set takes minutes.
   */
  async *processDocument(documentId, { force = false, engine = "", timeoutSeconds = 0 } = {}) {
    const call = this.stub.ProcessDocument({ documentId, options: { force, engine } }, this.metadata(), {
      deadline: this.deadline(timeoutSeconds),
    });
    try {
      for await (const event of call) {
        yield event;
      }
    } catch (err) {
      throw err.code !== undefined ? this.error(err) : err;
    } finally {
      call.cancel(); // no-op once the stream has ended; stops the server's work if the caller broke out early
    }
  }
}
