package eddy.sdk;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Runs every @Test method of the SDK's test classes, printing one line per test, and exits
 * with status 1 naming the failed tests if any failed. Arguments, if given, select the tests
 * whose "Class.method" name contains one of them.
 */
public final class TestRunner {
    private static final List<Class<?>> TEST_CLASSES = List.of(
            CodecTest.class, JsonTest.class, ConversationTest.class, ProtocolViolationTest.class,
            WordCountTest.class);

    public static void main(String[] args) throws Exception {
        List<String> failed = new ArrayList<>();
        int passed = 0;
        for (Class<?> testClass : TEST_CLASSES) {
            Method[] methods = testClass.getDeclaredMethods();
            Arrays.sort(methods, Comparator.comparing(Method::getName));
            for (Method method : methods) {
                String name = testClass.getSimpleName() + "." + method.getName();
                if (!method.isAnnotationPresent(Test.class) || !selected(name, args)) {
                    continue;
                }
                long started = System.nanoTime();
                try {
                    method.setAccessible(true);
                    method.invoke(method.getDeclaringClass().getDeclaredConstructor().newInstance());
                    passed++;
                    System.out.printf("PASS %s (%d ms)%n", name, (System.nanoTime() - started) / 1_000_000);
                } catch (InvocationTargetException e) {
                    failed.add(name);
                    System.out.println("FAIL " + name + ": " + e.getCause());
                    e.getCause().printStackTrace(System.out);
                }
            }
        }
        System.out.printf("%d passed, %d failed%n", passed, failed.size());
        if (!failed.isEmpty()) {
            System.out.println("failed: " + String.join(", ", failed));
            System.exit(1);
        }
    }

    private static boolean selected(String name, String[] filters) {
        return filters.length == 0 || Arrays.stream(filters).anyMatch(name::contains);
    }
}
