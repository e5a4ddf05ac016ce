// A small client for planocr.v1.OcrService, loading the contract from protos/ at run time.
//
//   import { PlanocrClient } from "./client.js";
//   const client = new PlanocrClient("127.0.0.1:50051", { token: process.env.PLANOCR_TOKEN });
//   const reply = await client.processPage(pageId);
//   for await (const event of client.processDocument(documentId)) { ... }
//   const operation = await client.startDocument(documentId);   // background work (google.longrunning)
//   for await (const event of client.watchDocument(documentId)) { ... }
//   const done = await client.waitOperation(operation.name);
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

/** The googleapis protos the contract imports; tools/gen_protos.py (`make proto`) copies them to build/proto-deps. */
export const PROTO_DEPS = [
  "google/rpc/status.proto",
  "google/longrunning/operations.proto",
  "google/api/annotations.proto",
  "google/api/client.proto",
  "google/api/field_behavior.proto",
  "google/api/http.proto",
  "google/api/launch_stage.proto",
];

/** Where protos/ and the googleapis protos it imports (PROTO_DEPS, in build/proto-deps) are. */
export function protoIncludeDirs() {
  const protos = process.env.PLANOCR_PROTOS || path.join(repoRoot, "protos");
  const deps = process.env.PLANOCR_PROTO_DEPS || path.join(repoRoot, "build", "proto-deps");
  const missing = PROTO_DEPS.filter((name) => !fs.existsSync(path.join(deps, name)));
  if (missing.length) {
    throw new Error(`${missing.join(", ")} not found under ${deps}: run "make proto" (tools/gen_protos.py) or set PLANOCR_PROTO_DEPS`);
  }
  return [protos, deps];
}

const LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

/** Output shape of messages decoded here (Any payloads), the same as proto-loader's. */
const TO_OBJECT = { longs: String, enums: String, defaults: true, oneofs: true };

/** OcrService and google.longrunning.Operations (which ocr_service.proto imports) as grpc-js client classes. */
function loadServices(includeDirs) {
  const definition = protoLoader.loadSync("planocr/v1/ocr_service.proto", { ...LOADER_OPTIONS, includeDirs });
  const loaded = grpc.loadPackageDefinition(definition);
  return { OcrService: loaded.planocr.v1.OcrService, Operations: loaded.google.longrunning.Operations };
}

/**
 * The contract as a protobufjs Root, for what grpc-js leaves packed: google.protobuf.Any values
 * (an operation's metadata and response, status details) and the status details trailer.
 */
function loadTypes(includeDirs) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target; // google/protobuf/*.proto: protobufjs (with proto-loader's additions) has them built in
  };
  root.loadSync("planocr/v1/ocr_service.proto", { keepCase: false });
  // ErrorInfo lives in error_details.proto, which the contract does not import: declare its fields.
  root.add(
    new protobuf.Type("ErrorInfo")
      .add(new protobuf.Field("reason", 1, "string"))
      .add(new protobuf.Field("domain", 2, "string"))
      .add(new protobuf.MapField("metadata", 3, "string", "string")),
  );
  root.resolveAll();
  return root;
}

/** A bad argument to a client method, found before anything is sent. */
export class ArgumentError extends TypeError {}

/** A google.protobuf.Duration or Timestamp message for a number of seconds. */
function secondsMessage(seconds) {
  const whole = Math.floor(seconds);
  return { seconds: String(whole), nanos: Math.round((seconds - whole) * 1e9) };
}

/** WatchDocument's `since`: a Date, an RFC 3339 string, or a Timestamp object such as a page event's finishTime. */
function timestamp(value) {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "object" && !(value instanceof Date) && "seconds" in value) {
    return { seconds: String(value.seconds), nanos: Number(value.nanos ?? 0) };
  }
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new ArgumentError(`since: not a time: ${value}`);
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 };
}

const TEXT_SOURCE_MODES = { auto: "TEXT_SOURCE_MODE_AUTO", ocr: "TEXT_SOURCE_MODE_OCR", text_layer: "TEXT_SOURCE_MODE_TEXT_LAYER" };

/** ProcessOptions.textSourceMode from "auto", "ocr", "text-layer", a TextSourceMode name or number; unset: the server's default. */
function textSourceMode(value) {
  if (value === undefined || value === null || value === "") return "TEXT_SOURCE_MODE_UNSPECIFIED";
  if (typeof value === "number") return value;
  const key = String(value).toLowerCase().replaceAll("-", "_").replace(/^text_source_mode_/, "");
  const mode = TEXT_SOURCE_MODES[key];
  if (!mode) throw new ArgumentError(`unknown textSource ${JSON.stringify(value)}; expected one of ${Object.keys(TEXT_SOURCE_MODES).join(", ")}`);
  return mode;
}

/** How much longer than the server's wait a WaitOperation call's own deadline is. */
const WAIT_MARGIN_SECONDS = 10;
/** The longest one WaitOperation call waits on the server; longer waits are several calls. */
export const SERVER_WAIT_SECONDS = 60;

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
    const { OcrService, Operations } = loadServices(includeDirs);
    this.types = loadTypes(includeDirs);
    this.statusTypes = { Status: this.types.lookupType("google.rpc.Status"), ErrorInfo: this.types.lookupType("ErrorInfo") };
    const tls = options.tls || Boolean(options.ca || options.cert || options.key);
    const credentials = tls
      ? grpc.credentials.createSsl(options.ca || null, options.key || null, options.cert || null)
      : grpc.credentials.createInsecure();
    this.stub = new OcrService(target, credentials, {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
    // google.longrunning.Operations on the same connection.
    this.operations = new Operations(target, credentials, { channelOverride: this.stub.getChannel() });
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
    let info = { reason: "", metadata: {} };
    const [details] = err.metadata ? err.metadata.get("grpc-status-details-bin") : [];
    if (details) {
      info = this.errorInfo(this.statusTypes.Status.decode(details).details);
    }
    return new PlanocrError(code, err.details, info.reason, info.metadata);
  }

  /** The reason and metadata of the google.rpc.ErrorInfo among a status's details (Any messages). */
  errorInfo(details = []) {
    for (const detail of details) {
      if ((detail.type_url ?? detail.typeUrl ?? "").endsWith("/google.rpc.ErrorInfo")) {
        const info = this.statusTypes.ErrorInfo.decode(detail.value);
        return { reason: info.reason, metadata: { ...info.metadata } };
      }
    }
    return { reason: "", metadata: {} };
  }

  /** A google.protobuf.Any as a plain object of the message type its type_url names (null when unset). */
  unpack(any) {
    if (!any || !any.value) return null;
    const typeUrl = any.type_url ?? any.typeUrl;
    const type = this.types.lookupType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
    return type.toObject(type.decode(any.value), TO_OBJECT);
  }

  /**
   * A google.longrunning.Operation of StartDocument as a plain object:
   * {name, done, progress: DocumentProgress, summary: DocumentSummary | null, error: {code, message, reason, metadata} | null}.
   */
  operation(reply) {
    const error = reply.error
      ? { code: grpc.status[reply.error.code] ?? String(reply.error.code), message: reply.error.message, ...this.errorInfo(reply.error.details) }
      : null;
    return {
      name: reply.name,
      done: Boolean(reply.done),
      progress: this.unpack(reply.metadata),
      summary: reply.response ? this.unpack(reply.response) : null,
      error,
    };
  }

  unary(method, request, timeoutSeconds, stub = this.stub) {
    return new Promise((resolve, reject) => {
      stub[method](request, this.metadata(), { deadline: this.deadline(timeoutSeconds) }, (err, reply) =>
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

  // -- background work (StartDocument and google.longrunning.Operations) -----

  /**
   * Asks for every page of a document to be read in the background and returns at once with the
   * operation ({name: "operations/<id>", done, progress, summary, error}). Any replica's workers read
   * the pages whether or not anyone listens. A document has one running operation at a time:
   * starting it again returns that one. `requestId` makes the call idempotent; a higher
   * `priority` is served first. `textSource`: "auto", "ocr", "text-layer" (default: the server's).
   */
  async startDocument(documentId, { force = false, engine = "", textSource, priority = 0, requestId = "", timeoutSeconds } = {}) {
    const request = { documentId, options: { force, engine, textSourceMode: textSourceMode(textSource) }, priority, requestId };
    return this.operation(await this.unary("StartDocument", request, timeoutSeconds));
  }

  /** The operation `name` ("operations/<id>") as it stands. */
  async getOperation(name, { timeoutSeconds } = {}) {
    return this.operation(await this.unary("GetOperation", { name }, timeoutSeconds, this.operations));
  }

  /**
   * Waits until the operation is done, or `timeoutSeconds` (default: no limit), and returns it as it
   * then stands (check `done`). One WaitOperation call waits at most SERVER_WAIT_SECONDS on the
   * server; a longer wait is several calls.
   */
  async waitOperation(name, { timeoutSeconds } = {}) {
    const until = timeoutSeconds === undefined || timeoutSeconds === null ? Infinity : Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const wait = Math.min(Math.max(0, (until - Date.now()) / 1000), SERVER_WAIT_SECONDS);
      const request = { name, timeout: secondsMessage(wait) };
      const operation = this.operation(await this.unary("WaitOperation", request, wait + WAIT_MARGIN_SECONDS, this.operations));
      if (operation.done || Date.now() >= until) return operation;
    }
  }

  /** Stops a running operation: pages not yet started are no longer read. It then ends with a CANCELLED error. */
  async cancelOperation(name, { timeoutSeconds } = {}) {
    await this.unary("CancelOperation", { name }, timeoutSeconds, this.operations);
  }

  /** Forgets an operation that has ended (its pages keep their results). */
  async deleteOperation(name, { timeoutSeconds } = {}) {
    await this.unary("DeleteOperation", { name }, timeoutSeconds, this.operations);
  }

  /** Yields operations, newest first; optionally only a document's, or only those (not) done. */
  async *listOperations({ documentId, done, pageSize = 100, timeoutSeconds } = {}) {
    const terms = [];
    if (documentId) terms.push(`document_id = "${documentId}"`);
    if (done !== undefined && done !== null) terms.push(`done = ${done ? "true" : "false"}`);
    const request = { name: "operations", filter: terms.join(" AND "), pageSize, pageToken: "" };
    for (;;) {
      const reply = await this.unary("ListOperations", request, timeoutSeconds, this.operations);
      for (const operation of reply.operations) yield this.operation(operation);
      if (!reply.nextPageToken) return;
      request.pageToken = reply.nextPageToken;
    }
  }

  /**
   * Follows a document's progress wherever its pages are read; yields each event of the stream:
   * {snapshot: {document, operation}}, one {page} per finished page (only those finished after
   * `since`: a Date, an RFC 3339 string or the finishTime of the last page event seen), then one
   * {page} per page as it finishes, then {summary} once no page is left pending or processing.
   * No deadline by default. Leaving the iteration early does not stop the work.
   */
  async *watchDocument(documentId, { since, timeoutSeconds = 0 } = {}) {
    const request = { documentId, since: timestamp(since) };
    const call = this.stub.WatchDocument(request, this.metadata(), { deadline: this.deadline(timeoutSeconds) });
    try {
      for await (const event of call) {
        yield event;
      }
    } catch (err) {
      throw err.code !== undefined ? this.error(err) : err;
    } finally {
      call.cancel(); // no-op once the stream has ended; ends this stream only, never the document's work
    }
  }
}
