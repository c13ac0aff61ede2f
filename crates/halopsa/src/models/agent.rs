//! Agents (technicians) and teams.

use super::codec::model;
use crate::id::Id;
use serde_json::Value;

model! {
    /// An agent (`/Agent`, schema `Uname`).
    pub struct Agent at "Agent" {
        /// The agent id.
        id: Id,
        /// The full name.
        name: String,
        /// The first name.
        firstname: String,
        /// The surname.
        surname: String,
        /// The e-mail address.
        email: String,
        /// Whether the account is disabled.
        isdisabled: bool,
        /// Whether it is an agent.
        is_agent: bool,
        /// Whether it is the API agent.
        isapiagent: bool,
        /// The default team, by name.
        team: String,
        /// The default team's id.
        team_id: Id,
        /// The teams it belongs to.
        teams: Vec<Value>,
        /// The departments it belongs to.
        departments: Vec<Value>,
        /// Its roles.
        roles: Vec<Value>,
        /// Online status code.
        onlinestatus: i64,
    }
}

model! {
    /// A team (`/Team`); tickets name their team rather than give its id.
    pub struct Team at "Team" {
        /// The team id.
        id: Id,
        /// The name (what a ticket's `team` holds).
        name: String,
        /// The department it belongs to.
        department_id: Id,
        /// Whether it is inactive.
        inactive: bool,
    }
}
