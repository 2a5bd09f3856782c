"""Fetching under the address rules: pinned connections, manual redirects, timeouts and a size cap.

How an address cannot change between the check and the connection (DNS rebinding): httpx hands every new
connection to :class:`PinningBackend` (an httpcore network backend). It resolves the host *itself*, checks
every address (:func:`~pilots.conformance.addresses.checked_addresses`), and then opens the socket to the
checked IP address, never to the name, so the operating system does no second lookup. After connecting it
reads the socket's peer address and refuses the connection unless it is that same checked address. The
URL keeps the host name, so the ``Host`` header and TLS (SNI and certificate checks) use the name as usual.

Redirects are followed by hand (at most ``max_redirects``); each new URL is checked again and its
connection goes through the same backend. Every read and write is bounded by the per-step ``timeout`` and
by what remains of the check's ``total_timeout``; bodies are read in chunks and abandoned past
``max_bytes`` (also after gzip/deflate decompression). Nothing here raises to the caller: failures become
a :class:`Fetched` with ``error`` set.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from pilots.conformance.addresses import Refused, checked_addresses, lookup_reason, parse_url
from pilots.conformance.messages import Message, Said, say
from pilots.conformance.policy import FetchPolicy, IPAddress

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Sent as the request's Origin so that servers that echo the Origin in their CORS answer can be judged.
ORIGIN = "https://conformance-check.invalid"
CHUNK = 64 * 1024


class DeadlineExceeded(Said, httpcore.TimeoutException):
    """The whole check ran out of time (``total_timeout``)."""


class TooLarge(Said):
    """The body is larger than the policy's ``max_bytes``."""


class BodyError(Said):
    """The body could not be decoded (unknown or broken content encoding)."""


class Budget:
    """What remains of the check's total time; every network step takes at most that long."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.deadline = time.monotonic() + total

    def expired(self) -> DeadlineExceeded:
        return DeadlineExceeded(say("fetch.deadline", seconds=float(self.total)))

    def limit(self, timeout: float | None) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left if timeout is None else min(timeout, left)

    def call(self, step: Any, timeout: float | None, *args: Any) -> Any:
        """``step(*args, limit)`` where ``limit`` is ``timeout`` cut to the time left; a timeout caused by
        that cut is reported as the whole check running out of time."""
        limit = self.limit(timeout)
        try:
            return step(*args, limit)
        except httpcore.TimeoutException:
            if time.monotonic() >= self.deadline - 0.01:
                raise self.expired() from None
            raise


def tls_context() -> ssl.SSLContext:
    """Certificates are verified against certifi's CA bundle (``SSL_CERT_FILE`` and the like are ignored)."""
    return httpx.create_ssl_context(trust_env=False)


def default_backend() -> httpcore.NetworkBackend:
    """The real sockets. Tests replace this to see where a connection would go without making one."""
    return httpcore.SyncBackend()


class GuardedStream(httpcore.NetworkStream):
    """A connection whose reads, writes and TLS handshake all stop at the check's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, budget: Budget) -> None:
        self._inner = inner
        self._budget = budget

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._budget.call(self._inner.read, timeout, max_bytes)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._budget.call(self._inner.write, timeout, buffer)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> GuardedStream:
        inner = self._budget.call(self._inner.start_tls, timeout, ssl_context, server_hostname)
        return GuardedStream(inner, self._budget)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def unmapped(address: IPAddress) -> IPAddress:
    """``::ffff:a.b.c.d`` as ``a.b.c.d``; any other address as it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_peer(stream: httpcore.NetworkStream, expected: IPAddress) -> None:
    """Refuse the connection unless its socket is connected to ``expected``."""
    sock = stream.get_extra_info("socket")
    if sock is None:
        raise Refused(say("address.peer_unknown"))
    try:
        peer = sock.getpeername()
    except OSError as error:
        raise Refused(say("address.peer_unknown", detail=str(error))) from None
    text = str(peer[0] if isinstance(peer, tuple) else peer).split("%", 1)[0]
    try:
        actual = ipaddress.ip_address(text)
    except ValueError:
        raise Refused(say("address.peer_other", peer=repr(text), expected=str(expected))) from None
    if unmapped(actual) != unmapped(expected):
        raise Refused(say("address.peer_other", peer=str(actual), expected=str(expected)))


class PinningBackend(httpcore.NetworkBackend):
    """Resolves and checks the host, then connects to the checked IP address only (see the module doc)."""

    def __init__(self, policy: FetchPolicy, budget: Budget, inner: httpcore.NetworkBackend) -> None:
        self.policy = policy
        self.budget = budget
        self.inner = inner
        #: (host, port, address) of every connection made, for evidence and tests.
        self.connections: list[tuple[str, int, str]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, self.policy, timeout=self.budget.limit(self.policy.timeout))
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = self.budget.call(self._connect, timeout, str(address), port, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            try:
                check_peer(stream, address)
            except BaseException:
                stream.close()
                raise
            self.connections.append((host, port, str(address)))
            return GuardedStream(stream, self.budget)
        raise failure or httpcore.ConnectError(f"no address of {host} could be reached")

    def _connect(
        self, address: str, port: int, local_address: str | None, socket_options: Any, timeout: float
    ) -> httpcore.NetworkStream:
        return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        raise Refused(say("address.unix_socket"))

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class CoreStream(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose connections all go through :class:`PinningBackend`.

    No proxies (the client is made with ``trust_env=False``), HTTP/1.1 only, no retries. httpcore's own
    exceptions are passed up unchanged; :func:`describe` turns them into plain words.
    """

    def __init__(self, policy: FetchPolicy, budget: Budget, backend: httpcore.NetworkBackend | None = None) -> None:
        self.backend = PinningBackend(policy, budget, backend or default_backend())
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            max_connections=4,
            max_keepalive_connections=4,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=self.backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)  # noqa: S101 - a sync client builds sync streams
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=CoreStream(response.stream),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@dataclass
class Fetched:
    """What one GET produced. ``status``/``headers`` are those of the last answer (after redirects);
    ``body`` is set only when it was read whole; ``error`` says why there is no usable answer."""

    url: str
    chain: list[str] = field(default_factory=list)
    status: int | None = None
    reason: str = ""
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes | None = None
    error: str | None = None
    refused: bool = False
    #: ``error`` as a message (None: a plain text, see :attr:`problem`).
    error_message: Message | None = None

    @property
    def problem(self) -> Message:
        """Why there is no usable answer, as a message (``error`` as a plain text when it has none)."""
        if self.error_message is not None:
            return self.error_message
        return say("text", text=self.error or "")

    def fail(self, message: Message) -> None:
        self.error, self.error_message = message.english(), message

    @property
    def final_url(self) -> str:
        return self.chain[-1] if self.chain else self.url

    @property
    def answered(self) -> bool:
        """A 2xx answer arrived (its headers can be judged, even if the body was too large)."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def ok(self) -> bool:
        return self.answered and self.error is None

    @property
    def media_type(self) -> str:
        return media_type_of(self.headers.get("content-type", ""))

    @property
    def redirects(self) -> int:
        return max(0, len(self.chain) - 1)


def media_type_of(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def describe(error: BaseException, policy: FetchPolicy) -> Message:
    """A plain-words reason for a failed fetch; the error as Python gave it is the message's detail."""
    if isinstance(error, Said):
        return error.message
    seconds = float(policy.timeout)
    if isinstance(error, httpcore.ConnectTimeout | httpx.ConnectTimeout):
        return say("net.connect_timeout", seconds=seconds)
    if isinstance(error, httpcore.ReadTimeout | httpx.ReadTimeout):
        return say("net.read_timeout", seconds=seconds)
    if isinstance(error, httpcore.TimeoutException | httpx.TimeoutException):
        return say("net.timeout", seconds=seconds)
    detail = str(error).strip() or type(error).__name__
    if isinstance(error, httpcore.ConnectError | httpx.ConnectError):
        return say("net.could_not_connect", reason=network_reason(error))
    if isinstance(error, httpcore.RemoteProtocolError | httpx.RemoteProtocolError):
        return say("net.not_http", detail=detail)
    if isinstance(error, httpcore.ReadError | httpx.ReadError):
        return say("net.read_broken", detail=detail)
    if isinstance(error, httpx.InvalidURL):
        return say("net.invalid_url", detail=detail)
    if isinstance(error, httpcore.ProtocolError | httpcore.NetworkError | httpcore.UnsupportedProtocol | httpx.HTTPError):
        return say("net.http_error", detail=detail)
    return say("net.unexpected", detail=f"{type(error).__name__}: {detail}")


#: errno values that say the server's network cannot be reached from here.
UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})
#: Words of an error's text that tell what happened, for errors that arrive as text only.
TEXT_REASONS = (
    ("certificate_verify_failed", "net.certificate"),
    ("certificate verify failed", "net.certificate"),
    ("name or service not known", "net.name_not_found"),
    ("nodename nor servname", "net.name_not_found"),
    ("no address associated", "net.name_not_found"),
    ("connection refused", "net.refused"),
    ("connection reset", "net.reset"),
    ("network is unreachable", "net.unreachable"),
    ("no route to host", "net.unreachable"),
)


def causes(error: BaseException) -> list[BaseException]:
    """The error and what caused it (httpcore raises its own errors *from* the socket's or ssl's)."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found and len(found) < 10:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def network_reason(error: BaseException) -> Message:
    """What went wrong with a connection, in plain words: a name that is not found, a refusal, a certificate …
    The error as Python gave it (``[Errno 111] Connection refused``) is the detail."""
    detail = str(error).strip() or type(error).__name__
    for cause in causes(error):
        if isinstance(cause, socket.gaierror):
            return Message(lookup_reason(cause).key, {}, detail)
        if isinstance(cause, ssl.SSLCertVerificationError):
            return say("net.certificate", detail=detail)
        if isinstance(cause, ssl.SSLError):
            return say("net.tls", detail=detail)
        if isinstance(cause, ConnectionRefusedError):
            return say("net.refused", detail=detail)
        if isinstance(cause, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return say("net.reset", detail=detail)
        if isinstance(cause, OSError) and cause.errno in UNREACHABLE:
            return say("net.unreachable", detail=detail)
    text = " ".join(str(cause) for cause in causes(error)).lower()
    for words, key in TEXT_REASONS:
        if words in text:
            return say(key, detail=detail)
    return say("net.connection_failed", detail=detail)


def decoder_for(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    raise BodyError(say("fetch.encoding", encoding=repr(encoding)))


def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The whole body, decompressed, or :class:`TooLarge` as soon as it passes ``max_bytes``."""
    too_large = TooLarge(say("fetch.too_large", max=max_bytes))
    length = response.headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise TooLarge(say("fetch.too_large_declared", max=max_bytes, length=int(length)))
    decoder = decoder_for(response.headers.get("content-encoding", ""))
    received = 0
    body = bytearray()
    for chunk in response.iter_raw(CHUNK):
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        if decoder is None:
            body += chunk
        else:
            try:
                body += decoder.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error as error:
                raise BodyError(say("fetch.broken_compression", detail=str(error))) from None
            if decoder.unconsumed_tail:
                raise TooLarge(say("fetch.too_large_decompressed", max=max_bytes))
        if len(body) > max_bytes:
            raise too_large
    if decoder is not None and not decoder.eof:
        raise BodyError(say("fetch.cut_short"))
    return bytes(body)


class Fetcher:
    """GETs under one policy and one time budget (a whole check shares them). Use as a context manager."""

    def __init__(self, policy: FetchPolicy, *, backend: httpcore.NetworkBackend | None = None) -> None:
        self.policy = policy
        self.budget = Budget(policy.total_timeout)
        self.transport = PinnedTransport(policy, self.budget, backend)
        self.client = httpx.Client(
            transport=self.transport,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(policy.timeout),
            headers={"User-Agent": policy.user_agent},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, accept: str, *, read_body: bool = True) -> Fetched:
        """GET ``url``, following redirects by hand; never raises."""
        result = Fetched(url=url)
        try:
            self._get(result, accept, read_body)
        except Exception as error:
            result.fail(describe(error, self.policy))
            result.refused = isinstance(error, Refused)
        return result

    def _get(self, result: Fetched, accept: str, want_body: bool) -> None:
        target = parse_url(result.url)
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate", "Origin": ORIGIN}
        for hop in range(self.policy.max_redirects + 1):
            result.chain.append(str(target))
            result.status, result.reason, result.headers = None, "", httpx.Headers()
            request = self.client.build_request("GET", target, headers=headers)
            response = self.client.send(request, stream=True)
            try:
                result.status = response.status_code
                result.reason = response.reason_phrase
                result.headers = response.headers
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    if hop == self.policy.max_redirects:
                        result.fail(say("fetch.too_many_redirects", max=self.policy.max_redirects))
                        return
                    try:
                        target = parse_url(str(response.url.join(location.strip())))
                    except httpx.InvalidURL as error:
                        raise Refused(say("address.redirect_invalid", detail=str(error))) from None
                    except Refused as error:
                        reason = say("address.redirect_refused", location=repr(location.strip()), reason=error.message)
                        raise Refused(reason) from None
                    continue
                if want_body and result.answered:
                    result.body = read_body(response, self.policy.max_bytes)
                return
            finally:
                response.close()
