//! Who is acting: the plain description the hub's domain works with. The HTTP layer builds it
//! from a session (`http::Caller`); tests and tools build it directly.

use tenfour_protocol::wire::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub agency_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    /// The unit a responder signed in to for this shift.
    pub unit_id: Option<i64>,
}

impl Actor {
    /// Whether this actor runs the board (dispatchers and administrators).
    pub fn dispatches(&self) -> bool {
        self.role.dispatches()
    }

    pub fn administers(&self) -> bool {
        self.role == Role::Admin
    }

    /// The unit this actor sends field actions for: only a responder signed in to a unit.
    pub fn field_unit(&self) -> Option<i64> {
        (self.role == Role::Responder)
            .then_some(self.unit_id)
            .flatten()
    }
}
