"""A real SMTP server for crates/backbone/tests/mail_smtp.rs (aiosmtpd).

Usage: python mail_smtp_server.py PORT LOG DELAY_SECONDS

Listens on 127.0.0.1:PORT. Each message accepted is first appended to LOG as
one JSON line per recipient ({"to", "message_id", "subject"}) and flushed to
disk, then answered with 250: a message the log does not hold was never
accepted. DELAY_SECONDS slows every message (to stop Backbone mid-way).
Prints "READY" once listening; stops on SIGTERM.
"""

import asyncio
import email
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, log, delay):
        self.log = log
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.original_content or envelope.content)
        with open(self.log, "a", encoding="utf-8") as f:
            for rcpt in envelope.rcpt_tos:
                line = {
                    "to": rcpt,
                    "message_id": msg.get("Message-ID"),
                    "subject": str(msg.get("Subject")),
                    "list_unsubscribe": msg.get("List-Unsubscribe"),
                }
                f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return "250 OK"


def main():
    port, log, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    controller = Controller(Recorder(log, delay), hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("READY", flush=True)
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
