#!/usr/bin/python3
"""SMTP server for the tests and the benchmark (Debian's python3-aiosmtpd).

    smtp_server.py serve --port PORT --maildir DIR [--auth USER:PASSWORD]
        Accepts mail on 127.0.0.1:PORT and stores each message, byte for byte,
        in the Maildir DIR. Refuses RCPT TO for any address containing "rejet"
        with a permanent 550, so a test can see one address fail and not the others.
        With --auth, AUTH PLAIN/LOGIN is required (without TLS: localhost only).
        With --tls-mode starttls|implicit and --tls-cert/--tls-key (PEM files), TLS
        is required: STARTTLS before MAIL, or TLS from the first byte.

    smtp_server.py dump DIR
        Prints the stored messages (of a Maildir, or the .eml files of a folder) as JSON, parsed by Python's email package
        (headers decoded, text and HTML parts decoded), one object per message.
"""
import argparse
import json
import mailbox
import signal
import sys
import time


def serve(args):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = mailbox.Maildir(args.maildir, create=True)

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if "rejet" in address.lower():
                return f"550 5.1.1 <{address}>: destinataire inconnu"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            box.add(envelope.original_content)
            return "250 Message accepted for delivery"

    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok)

        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)

    if args.tls_mode:
        import ssl
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            kwargs.update(ssl_context=context)

    controller = Controller(Handler(), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print(f"ready {args.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


def part_text(part):
    return part.get_content() if part is not None else None


def dump(args):
    import email
    from email import policy

    out = []
    import os
    if os.path.isdir(os.path.join(args.maildir, "new")):
        box = mailbox.Maildir(args.maildir, create=False)
        raws = [box.get_bytes(k) for k in sorted(box.keys())]
    else:
        names = sorted(n for n in os.listdir(args.maildir) if n.endswith(".eml"))
        raws = [open(os.path.join(args.maildir, n), "rb").read() for n in names]
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=policy.default)
        plain = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        out.append({
            "message_id": str(msg["Message-ID"] or ""),
            "from": str(msg["From"] or ""),
            "to": str(msg["To"] or ""),
            "subject": str(msg["Subject"] or ""),
            "date": str(msg["Date"] or ""),
            "auto_submitted": str(msg["Auto-Submitted"] or ""),
            "content_type": msg.get_content_type(),
            "plain": part_text(plain),
            "plain_charset": plain.get_content_charset() if plain is not None else None,
            "html": part_text(html),
            "raw": raw.decode("utf-8", "replace"),
        })
    json.dump(out, sys.stdout, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--maildir", required=True)
    s.add_argument("--auth")
    s.add_argument("--tls-mode", choices=["starttls", "implicit"])
    s.add_argument("--tls-cert")
    s.add_argument("--tls-key")
    d = sub.add_parser("dump")
    d.add_argument("maildir")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else dump(args)


if __name__ == "__main__":
    main()
