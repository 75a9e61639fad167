//! Prints the small-MLP gradient or HVP graph (`-- hvp`) with plan statistics.
use hvp::{trace, Program, Spec};
fn main() {
    let f = trace(
        |p| {
            let h1 = (p[6].matmul(&p[0]) + &p[1]).tanh();
            let h2 = (h1.matmul(&p[2]) + &p[3]).tanh();
            (h2.matmul(&p[4]) + &p[5]).cross_entropy(&p[7])
        },
        &[
            Spec::matrix(7, 5),
            Spec::vector(5),
            Spec::matrix(5, 5),
            Spec::vector(5),
            Spec::matrix(5, 3),
            Spec::vector(3),
            Spec::data(&[4, 7]),
            Spec::data(&[4]),
        ],
    )
    .unwrap();
    let p = match std::env::args().nth(1).as_deref() {
        Some("hvp") => Program::Hvp(hvp::transforms::HvpMode::ForwardOverReverse),
        Some("f") => Program::Value,
        _ => Program::Grad,
    };
    let g = f.derived_graph(p).unwrap();
    println!("{g}");
    println!("{:?}", hvp_exec::Plan::compile(g).unwrap().stats());
}
