//! `embed_migrations!` reads `migrations/` at compile time but cargo does not know that, so a new
//! migration folder would silently not be embedded without this.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
