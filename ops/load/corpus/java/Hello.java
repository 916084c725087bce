public class Main {
    public static void main(String[] args) {
        String name = "world";
        System.out.println("hello, " + name + "!");
    }
}
