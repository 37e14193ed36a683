// nats_npm_consumer.js: a bot reading streamvisor's trades from JetStream with the npm
// `nats` package (nats.js, nobody here wrote it), durably: run again with the same
// durable name, it goes on after the last trade it acknowledged. The example of
// docs/scale-out.md, run by tests/integration/nats_npm_consumer_test.py.
//
// Usage: node nats_npm_consumer.js NODE_MODULES URL STREAM SUBJECT DURABLE COUNT
// Prints one JSON line per trade, {"seq":<stream sequence>,"id":<Nats-Msg-Id>,"a":..},
// acknowledges it, and exits after COUNT trades (or when none comes for 3 s).
"use strict";

const [modules, url, stream, subject, durable, countText] = process.argv.slice(2);
const { connect, AckPolicy, DeliverPolicy, StringCodec } = require(
  require("path").join(modules, "node_modules", "nats"));

async function main() {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  // The durable consumer lives in the server: made on the first run, found after.
  try {
    await jsm.consumers.info(stream, durable);
  } catch (e) {
    await jsm.consumers.add(stream, {
      durable_name: durable, filter_subject: subject,
      ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
    });
  }
  const consumer = await nc.jetstream().consumers.get(stream, durable);
  const codec = StringCodec();
  const count = Number(countText);
  let got = 0;
  let idle = 0;
  while (got < count && idle < 3) {
    const batch = await consumer.fetch({ max_messages: Math.min(256, count - got),
                                         expires: 1000 });
    let before = got;
    for await (const m of batch) {
      const trade = JSON.parse(codec.decode(m.data));
      console.log(JSON.stringify({ seq: m.seq, id: m.headers.get("Nats-Msg-Id"),
                                   a: trade.a }));
      // Acknowledged once handled: a restart resumes after it. The last one waits
      // for the server's confirmation, so nothing handled is delivered again.
      if (++got === count) await m.ackAck(); else m.ack();
    }
    idle = got === before ? idle + 1 : 0;
  }
  await nc.drain();
}

main().catch((e) => { console.error("nats_npm_consumer:", e); process.exit(1); });
