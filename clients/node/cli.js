#!/usr/bin/env node
// planocr from Node.js, printing JSON on stdout:
//
//   node cli.js process-page     --target 127.0.0.1:50051 --page-id ID
//   node cli.js process-document --target 127.0.0.1:50051 --document-id ID
//   node cli.js get-page         --target 127.0.0.1:50051 --page-id ID
//   node cli.js start-document   --target 127.0.0.1:50051 --document-id ID [--priority N] [--request-id K]
//   node cli.js watch-document   --target 127.0.0.1:50051 --document-id ID [--since RFC3339]
//   node cli.js get-operation    --target 127.0.0.1:50051 --name operations/ID
//   node cli.js wait-operation   --target 127.0.0.1:50051 --name operations/ID [--timeout SECONDS]
//   node cli.js cancel-operation --target 127.0.0.1:50051 --name operations/ID
//
// TLS: --ca FILE (and --cert FILE --key FILE for mutual TLS); token: --token or PLANOCR_TOKEN.
// Exit status 0 on success, 1 when the call failed ({"error": {code, details, reason}} on stdout), 2 for bad usage.

import fs from "node:fs";
import { parseArgs } from "node:util";

import { ArgumentError, PlanocrClient } from "./client.js";

const USAGE =
  "usage: cli.js process-page|get-page --page-id ID | process-document|start-document|watch-document --document-id ID" +
  " | get-operation|wait-operation|cancel-operation --name operations/ID" +
  "  --target HOST:PORT [--ca F] [--cert F --key F] [--token T] [--force] [--engine E] [--text-source auto|ocr|text-layer]" +
  " [--priority N] [--request-id K] [--since T] [--timeout S]";

/** Each command and the option it needs. */
const COMMANDS = {
  "process-page": "page-id",
  "get-page": "page-id",
  "process-document": "document-id",
  "start-document": "document-id",
  "watch-document": "document-id",
  "get-operation": "name",
  "wait-operation": "name",
  "cancel-operation": "name",
};

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: "string", default: process.env.PLANOCR_TARGET || "127.0.0.1:50051" },
      "page-id": { type: "string" },
      "document-id": { type: "string" },
      name: { type: "string" },
      ca: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      token: { type: "string", default: process.env.PLANOCR_TOKEN },
      force: { type: "boolean", default: false },
      engine: { type: "string", default: "" },
      "text-source": { type: "string" },
      priority: { type: "string", default: "0" },
      "request-id": { type: "string", default: "" },
      since: { type: "string" },
      timeout: { type: "string" },
    },
  });
  return { command: positionals[0], values };
}

async function run(command, values, client) {
  const timeoutSeconds = values.timeout ? Number(values.timeout) : undefined;
  switch (command) {
    case "process-page":
      return client.processPage(values["page-id"], { force: values.force, engine: values.engine, timeoutSeconds });
    case "get-page":
      return client.getPage(values["page-id"], { timeoutSeconds });
    case "process-document": {
      const events = [];
      for await (const event of client.processDocument(values["document-id"], { force: values.force, engine: values.engine, timeoutSeconds })) {
        events.push(event);
      }
      return { events };
    }
    case "start-document":
      return client.startDocument(values["document-id"], {
        force: values.force,
        engine: values.engine,
        textSource: values["text-source"],
        priority: Number(values.priority),
        requestId: values["request-id"],
        timeoutSeconds,
      });
    case "watch-document": {
      const events = [];
      for await (const event of client.watchDocument(values["document-id"], { since: values.since, timeoutSeconds })) {
        events.push(event);
      }
      return { events };
    }
    case "get-operation":
      return client.getOperation(values.name, { timeoutSeconds });
    case "wait-operation": // --timeout bounds the whole wait (default: until done)
      return client.waitOperation(values.name, { timeoutSeconds });
    case "cancel-operation":
      await client.cancelOperation(values.name, { timeoutSeconds });
      return {};
    default:
      return null;
  }
}

async function main() {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const { command, values } = parsed;
  const needs = COMMANDS[command];
  if (!needs || !values[needs] || !Number.isInteger(Number(values.priority))) {
    console.error(USAGE);
    return 2;
  }
  const read = (file) => (file ? fs.readFileSync(file) : undefined);
  const client = new PlanocrClient(values.target, {
    ca: read(values.ca),
    cert: read(values.cert),
    key: read(values.key),
    token: values.token,
  });
  try {
    const result = await run(command, values, client);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ArgumentError) {
      console.error(`${err.message}\n${USAGE}`); // e.g. an unknown --text-source or --since
      return 2;
    }
    if (err.code === undefined) throw err;
    process.stdout.write(`${JSON.stringify({ error: err })}\n`);
    return 1;
  } finally {
    client.close();
  }
}

process.exitCode = await main();
