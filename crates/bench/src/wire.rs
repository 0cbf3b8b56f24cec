//! A lean HTTP/1.1 client for the ingest scenario.
//!
//! The load generator runs on the same two cores as the server it measures. Through
//! `reqwest` it spent about as much of the machine as the hub did on each push, so the
//! figure measured the generator as much as the server. One keep-alive connection per
//! device, a request written in one piece and the answer read by its length, costs a
//! fraction of that and leaves the cores to the server (tenfour or pouchdb-server alike).

use crate::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request as the scenario sends it: where to, as whom, and the JSON body.
pub struct Request {
    pub path: String,
    pub token: Option<String>,
    pub body: Vec<u8>,
}

/// One device's keep-alive connection to an `http://host:port` server.
pub struct Connection {
    address: String,
    stream: Option<TcpStream>,
    /// What has been read and not yet consumed.
    buffer: Vec<u8>,
}

impl Connection {
    pub fn new(url: &str) -> Result<Connection> {
        let address = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: the ingest scenario speaks plain http:// only"))?
            .trim_end_matches('/');
        Ok(Connection {
            address: address.to_owned(),
            stream: None,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends a POST and returns the answer's status and body.
    pub async fn post(&mut self, request: &Request) -> Result<(u16, Vec<u8>)> {
        let mut message = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            request.path,
            self.address,
            request.body.len()
        );
        if let Some(token) = &request.token {
            message.push_str("Authorization: Bearer ");
            message.push_str(token);
            message.push_str("\r\n");
        }
        message.push_str("\r\n");
        let mut bytes = message.into_bytes();
        bytes.extend_from_slice(&request.body);

        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.address)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", self.address))?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            self.stream = Some(stream);
            self.buffer.clear();
        }
        let answer = self.exchange(&bytes).await;
        if !matches!(answer, Ok((_, _, true))) {
            // Closed by the server, or broken: the next request opens a new connection.
            self.stream = None;
        }
        answer.map(|(status, body, _)| (status, body))
    }

    /// Writes the request and reads one answer: status, body, and whether the connection
    /// stays open.
    async fn exchange(&mut self, bytes: &[u8]) -> Result<(u16, Vec<u8>, bool)> {
        let Some(stream) = self.stream.as_mut() else {
            return Err("no connection".into());
        };
        stream.write_all(bytes).await.map_err(|e| e.to_string())?;
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at;
            }
            fill(stream, &mut self.buffer).await?;
        };
        let head = std::str::from_utf8(&self.buffer[..head_end])
            .map_err(|_| "an answer's head is not UTF-8".to_string())?;
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP answer: {head:?}"))?;
        let (mut length, mut chunked, mut keep) = (None, false, true);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => keep = !value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        self.buffer.drain(..head_end + 4);
        let body = match (chunked, length) {
            (true, _) => read_chunked(stream, &mut self.buffer).await?,
            (false, Some(length)) => {
                while self.buffer.len() < length {
                    fill(stream, &mut self.buffer).await?;
                }
                self.buffer.drain(..length).collect()
            }
            (false, None) => return Err("an answer with neither a length nor chunks".into()),
        };
        Ok((status, body, keep))
    }
}

/// Reads more of the answer into the buffer; the server closing the connection is an error.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<()> {
    let mut chunk = [0u8; 8192];
    let read = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
    if read == 0 {
        return Err("the server closed the connection mid-answer".into());
    }
    buffer.extend_from_slice(&chunk[..read]);
    Ok(())
}

async fn read_chunked(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(at) = find(buffer, b"\r\n") {
                break at;
            }
            fill(stream, buffer).await?;
        };
        let size_text = std::str::from_utf8(&buffer[..line_end]).unwrap_or("");
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("a bad chunk size: {size_text:?}"))?;
        // The size line, the chunk and the CRLF after it.
        while buffer.len() < line_end + 2 + size + 2 {
            fill(stream, buffer).await?;
        }
        body.extend_from_slice(&buffer[line_end + 2..line_end + 2 + size]);
        buffer.drain(..line_end + 2 + size + 2);
        if size == 0 {
            return Ok(body);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
