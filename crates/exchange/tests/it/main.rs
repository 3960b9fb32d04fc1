//! Integration tests of the exchange crate. The ledger suite runs the same
//! test functions against both stores: SQLite always, PostgreSQL when
//! `VP_TEST_POSTGRES_URL` names a server (CI starts one; see `.ci/run`).

mod attention;
mod common;
mod economy_suite;
mod ledger_concurrency;
mod ledger_crash;
mod ledger_properties;
mod ledger_sqlite_only;
mod ledger_suite;
