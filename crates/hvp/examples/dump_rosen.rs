//! Prints a derived graph of the chained Rosenbrock function and its plan
//! statistics: `cargo run -p hvp --example dump_rosen [-- grad|hvp|prepare|apply]`.
use hvp::{trace, Program, Spec};
fn main() {
    let n = 8;
    let f = trace(
        |x| {
            let x = &x[0];
            let head = x.slice_axis(0, 0, n - 1, 1);
            let tail = x.slice_axis(0, 1, n, 1);
            ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
        },
        &[Spec::vector(n)],
    )
    .unwrap();
    let which = std::env::args().nth(1).unwrap_or_default();
    let p = match which.as_str() {
        "hvp" => Program::Hvp(hvp::transforms::HvpMode::ForwardOverReverse),
        "prepare" => Program::Prepare,
        "apply" => Program::PreparedApply,
        _ => Program::Grad,
    };
    let g = f.derived_graph(p).unwrap();
    println!("{g}");
    let plan = hvp_exec::Plan::compile(g).unwrap();
    println!("{:?}", plan.stats());
}
