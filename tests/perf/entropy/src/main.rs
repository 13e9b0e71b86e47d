//! Prints the microseconds aws-lc takes for a process's first random bytes (seeding its
//! generator: what the first TLS handshake of a cold start pays) and for the next.

fn main() {
    let mut bytes = [0u8; 32];
    let mut draw = || {
        let start = std::time::Instant::now();
        aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
        start.elapsed().as_secs_f64() * 1e6
    };
    let (first, next) = (draw(), draw());
    println!("{first:.1} {next:.1}");
}
