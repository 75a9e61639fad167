//! Prints the compiled plan of a graph in text form and compares one run
//! with the reference evaluator: `cargo run -p hvp-exec --example dbg_plan -- FILE`.
use hvp_exec::{eval_reference, Plan};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let g = hvp_ir::parse(&text).unwrap();
    let plan = Plan::compile(&g).unwrap();
    println!("{plan:#?}");
    let inputs: Vec<Vec<f64>> = g
        .input_shapes()
        .iter()
        .map(|s| (0..s.numel()).map(|i| 0.1 + i as f64 * 0.37).collect())
        .collect();
    let views: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
    println!("plan {:?}", plan.call(&views).unwrap());
    println!("ref  {:?}", eval_reference(&g, &views).unwrap());
}
