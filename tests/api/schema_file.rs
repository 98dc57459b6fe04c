#[test]
fn schema_graphql_is_what_the_binary_prints() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql exists");
    let generated = log_sentinel::graphql::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is stale: regenerate it with `cargo run -- schema > schema.graphql`"
    );
}
