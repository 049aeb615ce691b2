pub struct A;

pub fn f() {
    let x = "abc;
}
