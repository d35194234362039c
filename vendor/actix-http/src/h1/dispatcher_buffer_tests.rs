use std::{cell::Cell, pin::pin};

use actix_service::fn_service;
use tokio::io::ReadBuf;

use super::*;
use crate::{
    config::ServiceConfigBuilder,
    h1::{ExpectHandler, UpgradeHandler},
    test::TestBuffer,
};

/// Stops accepting writes after a shared byte budget is exhausted.
///
/// The test can restore the budget and poll the dispatcher again, as if the socket became writable.
struct LimitedWriter {
    io: TestBuffer,
    allowance: Rc<Cell<usize>>,
}

impl AsyncRead for LimitedWriter {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len().min(self.allowance.get());

        if len == 0 {
            // The test polls manually after restoring the budget, so no wakeup is needed.
            return Poll::Pending;
        }

        let written = ready!(Pin::new(&mut self.io).poll_write(cx, &buf[..len]))?;
        self.allowance.set(self.allowance.get() - written);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Checks that a keep-alive connection holds no buffer memory between requests (Hourglass patch)
/// and that responses stay complete, including after a partial write.
///
/// - `body_len`: Response body length in bytes, sent as one chunk for each request.
/// - `partial`: If true, block writes after `body_len - 1024` bytes, including headers,
///   then resume them. Requires `body_len > 1024`.
async fn check_buffers_released(body_len: usize, partial: bool) {
    let mut io = TestBuffer::new("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let allowance = Rc::new(Cell::new(if partial {
        body_len - 1024
    } else {
        usize::MAX
    }));
    let services = HttpFlow::new(
        fn_service(move |_: Request| async move {
            Ok::<_, Error>(Response::ok().set_body(bytes::Bytes::from(vec![b'x'; body_len])))
        }),
        ExpectHandler,
        None::<UpgradeHandler>,
    );
    let dispatcher = Dispatcher::new(
        LimitedWriter {
            io: io.clone(),
            allowance: allowance.clone(),
        },
        services,
        ServiceConfigBuilder::new().build(),
        None,
        OnConnectData::default(),
    );
    let mut dispatcher = pin!(dispatcher);
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());

    // A new connection has allocated nothing yet.
    {
        let DispatcherState::Normal { inner } = &dispatcher.inner else {
            panic!()
        };
        assert_eq!(inner.read_buf.capacity(), 0);
        assert_eq!(inner.write_buf.capacity(), 0);
    }

    // Pending is expected even after a complete response: the keep-alive
    // connection stays open and waits for another request.
    assert!(dispatcher.as_mut().poll(&mut cx).is_pending());

    if partial {
        let DispatcherState::Normal { inner } = &dispatcher.inner else {
            panic!()
        };
        assert!(!inner.write_buf.is_empty());
        assert_eq!(io.write_buf_slice().len(), body_len - 1024);

        // Let the dispatcher finish the same response after the simulated blocked write.
        allowance.set(usize::MAX);
        assert!(dispatcher.as_mut().poll(&mut cx).is_pending());
    }

    for round in 0..2 {
        let DispatcherState::Normal { inner } = &dispatcher.inner else {
            panic!()
        };
        assert_eq!(
            inner.read_buf.capacity(),
            0,
            "read buffer kept after round {round}"
        );
        assert_eq!(
            inner.write_buf.capacity(),
            0,
            "write buffer kept after round {round}"
        );

        let response = io.take_write_buf();
        let body_start = response
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .unwrap()
            + 4;
        assert_eq!(&response[body_start..], vec![b'x'; body_len]);

        // The connection must remain usable, including after a partial write.
        io.extend_read_buf("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert!(dispatcher.as_mut().poll(&mut cx).is_pending());
    }
}

#[actix_rt::test]
async fn small_response_leaves_no_buffers() {
    check_buffers_released(1024, false).await;
}

#[actix_rt::test]
async fn large_response_leaves_no_buffers() {
    check_buffers_released(1024 * 1024, false).await;
}

#[actix_rt::test]
async fn partially_written_response_completes_and_leaves_no_buffers() {
    check_buffers_released(1024 * 1024, true).await;
}

#[actix_rt::test]
async fn a_payload_chunk_owns_no_more_than_its_bytes() {
    use futures_util::StreamExt as _;

    let io =
        TestBuffer::new("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
    // (chunk length, capacity of the chunk's allocation if it is its only owner, else 0)
    let seen = Rc::new(Cell::new((0, 0)));
    let recorded = seen.clone();
    let services = HttpFlow::new(
        fn_service(move |mut req: Request| {
            let recorded = recorded.clone();
            async move {
                let mut payload = req.take_payload();
                if let Some(Ok(chunk)) = payload.next().await {
                    let len = chunk.len();
                    let capacity = chunk.try_into_mut().map_or(0, |owned| owned.capacity());
                    recorded.set((len, capacity));
                }
                Ok::<_, Error>(Response::ok())
            }
        }),
        ExpectHandler,
        None::<UpgradeHandler>,
    );
    let dispatcher = Dispatcher::new(
        io.clone(),
        services,
        ServiceConfigBuilder::new().build(),
        None,
        OnConnectData::default(),
    );
    let mut dispatcher = pin!(dispatcher);
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    assert!(dispatcher.as_mut().poll(&mut cx).is_pending());

    let (len, capacity) = seen.get();
    assert_eq!(len, 5);
    // A slice of the dispatcher's 8 KiB read buffer shares it (0) or, once the dispatcher has
    // released it, owns all of it (8 KiB).
    assert_eq!(capacity, 5, "the chunk is tied to a larger allocation");
    assert!(io.take_write_buf().starts_with(b"HTTP/1.1 200 OK"));
}
