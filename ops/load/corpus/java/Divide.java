import java.util.List;

public class Main {
    static int average(List<Integer> xs) {
        int sum = 0;
        for (int x : xs) sum += x;
        return sum / xs.size();
    }

    public static void main(String[] args) {
        System.out.println("average " + average(List.of(4, 8, 15, 16, 23, 42)));
        System.out.println("average " + average(List.of()));
    }
}
