#!/usr/bin/env node
// planocr from Node.js, printing JSON on stdout:
//
//   node cli.js process-page     --target 127.0.0.1:50051 --page-id ID
//   node cli.js process-document --target 127.0.0.1:50051 --document-id ID
//   node cli.js get-page         --target 127.0.0.1:50051 --page-id ID
//
// TLS: --ca FILE (and --cert FILE --key FILE for mutual TLS); token: --token or PLANOCR_TOKEN.
// Exit status 0 on success, 1 when the call failed ({"error": {code, details, reason}} on stdout), 2 for bad usage.

import fs from "node:fs";
import { parseArgs } from "node:util";

import { PlanocrClient } from "./client.js";

const USAGE = "usage: cli.js process-page|get-page --page-id ID | process-document --document-id ID  --target HOST:PORT [--ca F] [--cert F --key F] [--token T] [--force]";

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: "string", default: process.env.PLANOCR_TARGET || "127.0.0.1:50051" },
      "page-id": { type: "string" },
      "document-id": { type: "string" },
      ca: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      token: { type: "string", default: process.env.PLANOCR_TOKEN },
      force: { type: "boolean", default: false },
      timeout: { type: "string" },
    },
  });
  return { command: positionals[0], values };
}

async function run(command, values, client) {
  const timeoutSeconds = values.timeout ? Number(values.timeout) : undefined;
  switch (command) {
    case "process-page":
      return client.processPage(values["page-id"], { force: values.force, timeoutSeconds });
    case "get-page":
      return client.getPage(values["page-id"], { timeoutSeconds });
    case "process-document": {
      const events = [];
      for await (const event of client.processDocument(values["document-id"], { force: values.force, timeoutSeconds })) {
        events.push(event);
      }
      return { events };
    }
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
  const needs = command === "process-document" ? "document-id" : "page-id";
  if (!["process-page", "get-page", "process-document"].includes(command) || !values[needs]) {
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
    if (err.code === undefined) throw err;
    process.stdout.write(`${JSON.stringify({ error: err })}\n`);
    return 1;
  } finally {
    client.close();
  }
}

process.exitCode = await main();
