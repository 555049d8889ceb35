//! Test-side OTLP receivers: gRPC (the proto crate's generated `TraceService`, served by tonic)
//! and HTTP/protobuf (a plain HTTP/1.1 listener decoding the body with prost). They keep every
//! request with its headers, so tests can check every field of every span.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

/// A received request: the lower-cased headers, the path, the decoded body.
#[derive(Debug, Clone)]
#[allow(dead_code)] // the bench only counts
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub path: String,
    pub request: ExportTraceServiceRequest,
}

/// The requests kept (none when only counting) and the number of spans received.
#[derive(Default)]
struct Inner {
    keep: bool,
    /// Decode bodies (HTTP); without, only requests and bytes are counted.
    decode: bool,
    requests: Vec<Received>,
    spans: usize,
    bodies: usize,
    bytes: usize,
    /// The answer to every accepted request (`partial_success`).
    answer: ExportTraceServiceResponse,
    /// Requests to refuse before accepting any (each refusal counts down by one), and how:
    /// the HTTP status (gRPC refuses with the matching code: 503 → Unavailable, else
    /// InvalidArgument).
    refuse: usize,
    refuse_status: u16,
    /// Every attempt that reached the receiver, refused or not.
    attempts: usize,
}

/// What the receiver does with the next request: refuse it (with this HTTP status) or accept
/// it and answer with the configured response.
fn verdict(store: &Store) -> Result<ExportTraceServiceResponse, u16> {
    let mut g = store.lock().unwrap();
    g.attempts += 1;
    if g.refuse > 0 {
        g.refuse -= 1;
        return Err(g.refuse_status);
    }
    Ok(g.answer.clone())
}

type Store = Arc<Mutex<Inner>>;

fn store(keep: bool) -> Store {
    Arc::new(Mutex::new(Inner {
        keep,
        decode: true,
        ..Default::default()
    }))
}

fn push(store: &Store, r: Received) {
    let mut g = store.lock().unwrap();
    g.spans += r
        .request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum::<usize>();
    if g.keep {
        g.requests.push(r);
    }
}

#[derive(Clone)]
struct Sink(Store);

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = req
            .metadata()
            .iter()
            .filter_map(|kv| match kv {
                tonic::metadata::KeyAndValueRef::Ascii(k, v) => {
                    Some((k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                }
                _ => None,
            })
            .collect();
        let answer = match verdict(&self.0) {
            Ok(a) => a,
            Err(503) => return Err(tonic::Status::unavailable("try later")),
            Err(_) => return Err(tonic::Status::invalid_argument("refused")),
        };
        push(
            &self.0,
            Received {
                headers,
                path: "grpc".into(),
                request: req.into_inner(),
            },
        );
        Ok(tonic::Response::new(answer))
    }
}

pub struct Receiver {
    pub addr: SocketAddr,
    store: Store,
    _rt: Option<tokio::runtime::Runtime>,
}

impl Receiver {
    /// The requests received so far (receivers made with `keep`).
    #[allow(dead_code)] // not used by the bench
    pub fn received(&self) -> Vec<Received> {
        self.store.lock().unwrap().requests.clone()
    }

    /// Spans received so far.
    #[allow(dead_code)] // not used by the tests
    pub fn spans(&self) -> usize {
        self.store.lock().unwrap().spans
    }

    /// Answers every request accepted from now on with this `partial_success`.
    #[allow(dead_code)] // not used by the bench
    pub fn answer_partial_success(&self, rejected_spans: i64, error_message: &str) {
        self.store.lock().unwrap().answer = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans,
                error_message: error_message.to_owned(),
            }),
        };
    }

    /// Refuses the next `n` requests with this HTTP status (gRPC: 503 as Unavailable, others
    /// as InvalidArgument).
    #[allow(dead_code)] // not used by the bench
    pub fn refuse_next(&self, n: usize, status: u16) {
        let mut g = self.store.lock().unwrap();
        g.refuse = n;
        g.refuse_status = status;
    }

    /// Attempts that reached the receiver, refused ones included.
    #[allow(dead_code)] // not used by the bench
    pub fn attempts(&self) -> usize {
        self.store.lock().unwrap().attempts
    }

    /// Requests and body bytes received so far.
    #[allow(dead_code)] // not used by the tests
    pub fn bodies(&self) -> (usize, usize) {
        let g = self.store.lock().unwrap();
        (g.bodies, g.bytes)
    }

    /// An HTTPS receiver (rustls, ring) with this certificate chain and key (PEM).
    #[allow(dead_code)] // not used by the bench
    pub fn https(cert: &[u8], key: &[u8]) -> Receiver {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let store = store(true);
        let s = store.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(tcp) = conn else { continue };
                let (s, config) = (s.clone(), config.clone());
                std::thread::spawn(move || {
                    let Ok(tls) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    serve_http(rustls::StreamOwned::new(tls, tcp), &s);
                });
            }
        });
        Receiver {
            addr,
            store,
            _rt: None,
        }
    }

    /// An HTTP receiver that reads each body and answers without decoding it: what podtrace
    /// itself costs, without a collector's work on the same cores.
    #[allow(dead_code)] // not used by the tests
    pub fn http_discarding() -> Receiver {
        let r = Receiver::http(false);
        r.store.lock().unwrap().decode = false;
        r
    }

    /// A gRPC receiver on 127.0.0.1 (random port), served on its own runtime; `keep`: keep
    /// every request, else only count spans.
    pub fn grpc(keep: bool) -> Receiver {
        Receiver::grpc_with(keep, None)
    }

    /// A gRPC receiver over TLS with this certificate chain and key (PEM).
    #[allow(dead_code)] // not used by the bench
    pub fn grpc_tls(cert: &[u8], key: &[u8]) -> Receiver {
        Receiver::grpc_with(true, Some((cert.to_vec(), key.to_vec())))
    }

    fn grpc_with(keep: bool, tls: Option<(Vec<u8>, Vec<u8>)>) -> Receiver {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let store = store(keep);
        let sink = Sink(store.clone());
        let (addr, incoming) = rt.block_on(async {
            let inc = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
                .unwrap();
            (inc.local_addr().unwrap(), inc)
        });
        rt.spawn(async move {
            let mut b = tonic::transport::Server::builder();
            if let Some((cert, key)) = tls {
                let id = tonic::transport::Identity::from_pem(cert, key);
                b = b
                    .tls_config(tonic::transport::ServerTlsConfig::new().identity(id))
                    .unwrap();
            }
            b.add_service(TraceServiceServer::new(sink).max_decoding_message_size(256 << 20))
                .serve_with_incoming(incoming)
                .await
                .unwrap();
        });
        Receiver {
            addr,
            store,
            _rt: Some(rt),
        }
    }

    /// An HTTP/1.1 receiver on 127.0.0.1 that answers every POST with 200 and an
    /// `ExportTraceServiceResponse` (empty unless [`Receiver::answer_partial_success`]).
    pub fn http(keep: bool) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let store = store(keep);
        let s = store.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve_http(conn, &s));
            }
        });
        Receiver {
            addr,
            store,
            _rt: None,
        }
    }
}

fn serve_http<S: Read + Write>(conn: S, store: &Store) {
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    len = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let decode = {
            let mut g = store.lock().unwrap();
            g.bodies += 1;
            g.bytes += body.len();
            g.decode
        };
        let answer = match verdict(store) {
            Ok(a) => a,
            Err(code) => {
                let head = format!("HTTP/1.1 {code} Refused\r\ncontent-length: 0\r\n\r\n");
                let w = r.get_mut();
                if w.write_all(head.as_bytes()).is_err() || w.flush().is_err() {
                    return;
                }
                continue;
            }
        };
        if decode {
            let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            push(
                store,
                Received {
                    headers,
                    path,
                    request,
                },
            );
        }
        let resp = answer.encode_to_vec();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
            resp.len()
        );
        let w = r.get_mut();
        if w.write_all(head.as_bytes()).is_err()
            || w.write_all(&resp).is_err()
            || w.flush().is_err()
        {
            return;
        }
    }
}
