//! Just enough HTTP/1.1 over a plain socket for xtask's checks (xtask has no dependencies).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `POST path` with a JSON body; the status code and the body of the answer.
pub fn post_json(address: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(address)
        .map_err(|e| format!("cannot reach the hub at {address}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send {path}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("no answer to {path}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let code = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("the hub's answer is not HTTP: {answer:.200}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((code, body))
}

/// `POST /api/session`: the status code and the answer's body.
pub fn sign_in(
    address: &str,
    username: &str,
    password: &str,
    unit: Option<&str>,
) -> Result<(u16, String), String> {
    let unit = unit.map_or("null".to_owned(), json_string);
    let body = format!(
        "{{\"username\":{},\"password\":{},\"unit\":{unit}}}",
        json_string(username),
        json_string(password)
    );
    post_json(address, "/api/session", &body)
}

/// The token in a sign-in answer.
pub fn token_of(body: &str) -> Option<String> {
    let start = body.find("\"token\":\"")? + "\"token\":\"".len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}
