//! A socket that sends what was written only when an answer is awaited.
//!
//! `lettre` flushes after each of its writes, and it writes a message's body and
//! its final `\r\n.\r\n` separately: two segments, so the relay wakes up, reads the
//! body, finds no end marker, and waits again for the second one. SMTP without
//! pipelining is strictly request then reply, so nothing written is needed by the
//! relay before the client starts waiting for the reply: writes are kept here and
//! go out together, in one segment, when the client first reads (or shuts down).
//! `flush` therefore sends nothing by itself.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Above this, pending bytes are sent without waiting for a read: a large message
/// streams out instead of growing the buffer.
const HIGH_WATER: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct Coalescing<S> {
    inner: S,
    pending: Vec<u8>,
    /// How much of `pending` is already sent.
    sent: usize,
}

impl<S> Coalescing<S> {
    pub(crate) fn new(inner: S) -> Self {
        Coalescing {
            inner,
            pending: Vec::with_capacity(8 * 1024),
            sent: 0,
        }
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncWrite + Unpin> Coalescing<S> {
    /// Sends everything pending; ready once it is all out and the inner stream
    /// flushed.
    fn poll_send_pending(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while self.sent < self.pending.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => self.sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.pending.clear();
        self.sent = 0;
        Pin::new(&mut self.inner).poll_flush(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Coalescing<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.pending.is_empty() {
            match this.poll_send_pending(cx) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Coalescing<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.len() >= HIGH_WATER {
            match this.poll_send_pending(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        this.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // Deliberately nothing: the next read sends (see the module's comment).
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match this.poll_send_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_leave_together_when_the_reply_is_awaited() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (written_tx, written) = tokio::sync::oneshot::channel::<()>();
        let (checked, checked_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            // The client has written and flushed twice, and waits: nothing arrives.
            written.await.unwrap();
            let early = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
            assert!(
                early.is_err(),
                "bytes arrived before the client awaited a reply"
            );
            checked.send(()).unwrap();
            let mut got = Vec::new();
            while !got.ends_with(b"\r\n.\r\n") {
                let n = s.read(&mut buf).await.unwrap();
                assert!(n > 0, "connection closed early");
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"250 OK\r\n").await.unwrap();
            got
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut c = Coalescing::new(tcp);
        c.write_all(b"Subject: x\r\n\r\nbody").await.unwrap();
        c.flush().await.unwrap();
        c.write_all(b"\r\n.\r\n").await.unwrap();
        c.flush().await.unwrap();
        written_tx.send(()).unwrap();
        checked_rx.await.unwrap();
        let mut reply = [0u8; 8];
        c.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"250 OK\r\n");
        assert_eq!(server.await.unwrap(), b"Subject: x\r\n\r\nbody\r\n.\r\n");
    }

    #[tokio::test]
    async fn shutting_down_sends_what_is_pending() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap();
            got
        });
        let mut c = Coalescing::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        c.write_all(b"QUIT\r\n").await.unwrap();
        c.shutdown().await.unwrap();
        assert_eq!(server.await.unwrap(), b"QUIT\r\n");
    }
}
