//! Where the device stands with the hub: what the sync engine reports and the banner shows.

/// Where the device stands with the hub, as the banner shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// Connected and up to date.
    Online,
    /// The browser has no network.
    Offline,
    /// Sending or fetching now.
    Syncing,
    /// The hub could not be reached or refused; the engine retries.
    Error(String),
    /// The session expired or was revoked: sign in again (nothing waiting is lost).
    SignInAgain,
}

impl Link {
    /// The state as one line, for the other tabs.
    pub fn to_message(&self) -> String {
        match self {
            Link::Online => "online".into(),
            Link::Offline => "offline".into(),
            Link::Syncing => "syncing".into(),
            Link::SignInAgain => "signin".into(),
            Link::Error(reason) => format!("error:{reason}"),
        }
    }

    pub fn from_message(message: &str) -> Option<Link> {
        Some(match message {
            "online" => Link::Online,
            "offline" => Link::Offline,
            "syncing" => Link::Syncing,
            "signin" => Link::SignInAgain,
            other => Link::Error(other.strip_prefix("error:")?.to_owned()),
        })
    }
}
