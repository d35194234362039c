//! The REST API: timers, schedules, todos and tags (`/v1`, `/api/v1`), users, following,
//! meetups and stored notifications (`/api/v1`), the probes and the OpenAPI document.

pub mod health;
pub mod openapi;
pub mod rest;
pub mod social;
pub mod users;

use actix_web::web;

/// Registers the probes, the REST routes and the OpenAPI document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    rest::configure(cfg);
    openapi::configure(cfg);
    users::configure(cfg);
    social::configure(cfg);
}
