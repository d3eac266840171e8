package portal.search;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One single-node OpenSearch in this JVM, listening on 127.0.0.1 only.
 *
 * <p>Arguments: {@code <home directory> <http port> [owner pid]}. Port 0 lets the system choose a
 * free one (no other process can take it between the choice and the bind). The node keeps its
 * data and logs under the home directory and writes the port it bound to a {@code ready} file
 * there; the Python launcher (search/engine/launch.py) waits for that file, checks the analysis
 * modules really loaded (a missing module is only logged by OpenSearch) and stops the JVM with
 * SIGTERM. With an owner pid, the JVM also stops when that process ends, however it ends (a test
 * run killed with SIGKILL leaves no engine behind).
 */
public final class SearchEngine {

    /** The node with the plugins OpenSearch's distribution would load from its modules folder. */
    static final class PortalNode extends Node {
        PortalNode(final Environment environment) {
            super(environment,
                    List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class),
                    true);
        }
    }

    private SearchEngine() {}

    public static void main(final String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: SearchEngine <home directory> <http port> [owner pid]");
            System.exit(2);
        }
        if (args.length == 3) {
            ProcessHandle.of(Long.parseLong(args[2])).ifPresentOrElse(
                    owner -> owner.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
        }
        final Path home = Path.of(args[0]).toAbsolutePath();
        final String port = args[1];
        final Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        Files.deleteIfExists(home.resolve("ready"));

        final Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", "portal-search")
                .put("node.name", "portal-search-1")
                .put("network.host", "127.0.0.1")
                .put("http.port", port)
                .put("transport.port", "0")
                .put("discovery.type", "single-node")
                // Tests and benchmarks share a disk with everything else: never go read-only at 90 %.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("logger.level", System.getProperty("portal.search.log", "WARN"))
                .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        final Environment environment =
                InternalSettingsPreparer.prepareEnvironment(settings, java.util.Map.of(), config, () -> "portal-search-1");

        final Node node = new PortalNode(environment);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (final Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "portal-search-stop"));
        node.start();
        final int bound = node.injector().getInstance(HttpServerTransport.class)
                .boundAddress().publishAddress().getPort();
        // Written whole, then renamed: the launcher never reads half a port.
        final Path partial = home.resolve("ready.partial");
        Files.writeString(partial, Integer.toString(bound));
        Files.move(partial, home.resolve("ready"), StandardCopyOption.ATOMIC_MOVE);
        System.out.println("search engine ready on http://127.0.0.1:" + bound);
        stopped.await();
    }
}
