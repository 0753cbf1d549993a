use boarddiff::engine::align::Alignment;
use boarddiff::engine::warp::warp_to_work;
use std::time::Instant;
fn main() {
    let img = image::RgbImage::from_fn(6000, 4000, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x ^ y) % 256) as u8]));
    let mut a = Alignment::identity(6000, 4000);
    for _ in 0..3 {
        let t = Instant::now();
        let w = warp_to_work(&img, &a, (6000, 4000), (3464, 2309));
        println!("identity {:.1} ms {}", t.elapsed().as_secs_f64() * 1e3, w.image.width());
    }
    a.suspect_from_reference = boarddiff::engine::geometry::Homography::from_rows([[0.99, 0.05, 10.0], [-0.05, 0.99, 30.0], [0.0, 0.0, 1.0]]);
    for _ in 0..3 {
        let t = Instant::now();
        let w = warp_to_work(&img, &a, (6000, 4000), (3464, 2309));
        println!("rotated {:.1} ms {}", t.elapsed().as_secs_f64() * 1e3, w.image.width());
    }
}
