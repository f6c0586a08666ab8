package io.flashtensors.cli;

import io.flashtensors.config.SettingsResolver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;

/** Runs the command line in this JVM over a temporary flashtensors home, capturing its output. */
final class CliRun {

  final Map<String, String> env = new HashMap<>();
  final Path userHome;

  record Result(int code, String out, String err) {}

  CliRun(Path temp) {
    this.userHome = temp;
    env.put("FLASHTENSORS_HOME", temp.resolve("home").toString());
  }

  Result run(String... args) {
    CommandLine cli = FlashTensorsCli.newCommandLine(new SettingsResolver(env, userHome));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
