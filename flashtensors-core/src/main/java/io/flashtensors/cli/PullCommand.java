package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoredModel;
import io.flashtensors.store.hub.HubClient;
import io.flashtensors.store.hub.HubPull;
import io.flashtensors.store.hub.RetryPolicy;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors pull ORG/NAME}: download from the Hugging Face Hub into the store. */
@Command(
    name = "pull",
    description = {
      "Downloads a model from the Hugging Face Hub and converts it into the store.",
      "Only the safetensors weights, config, generation config and tokenizer files are fetched, in parallel, each checked against the Hub's checksums; an interrupted pull resumes. HF_ENDPOINT points it at a mirror; HF_TOKEN (or --token) opens private and gated models."
    })
final class PullCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "ORG/NAME",
      description = "Model id on the Hub, e.g. Qwen/Qwen3-0.6B.")
  String model;

  @Option(names = "--revision", description = "Branch, tag or commit (default main).")
  String revision;

  @Option(names = "--token", description = "Hugging Face token (default: HF_TOKEN).")
  String token;

  @Option(
      names = "--keep-safetensors",
      description = "Keep the downloaded safetensors beside the model.")
  boolean keepSafetensors;

  @Option(
      names = "--force",
      description = "Download and convert again even when the store has this commit.")
  boolean force;

  @Mixin StorageOption storage;

  @Option(
      names = "--parallel",
      description = "Files downloaded at once (default 8).",
      defaultValue = "8")
  int parallel;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    put(flags, Setting.HF_TOKEN, token);
    storage.addTo(flags);
  }

  @Override
  public Integer call() {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    ModelId id = ModelId.parse(model);
    ModelStore store = ModelStore.open(settings.storagePath());
    ProgressBar progress = ProgressBar.on(spec.commandLine().getErr());
    HubPull.Result result;
    try (HubClient hub =
        new HubClient(settings.hfEndpoint(), settings.hfToken(), RetryPolicy.standard())) {
      result =
          new HubPull(hub, store, new FlashModelConverter())
              .pull(id, new HubPull.Options(revision, keepSafetensors, force, parallel), progress);
    } finally {
      progress.finish();
    }
    StoredModel m = result.model();
    if (result.upToDate()) {
      out.printf("%s is up to date (commit %s)%n", m.displayName(), shortCommit(m.commit()));
    } else {
      out.printf(
          "pulled %s (commit %s): %s downloaded in %.1f s, converted in %.1f s; %s of %s weights%n",
          m.displayName(),
          shortCommit(m.commit()),
          ByteSize.format(result.downloadedBytes()),
          result.downloadSeconds(),
          result.convertSeconds(),
          ByteSize.format(m.tensorBytes()),
          String.join("/", m.dtypes()));
    }
    out.flush();
    return 0;
  }

  static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
