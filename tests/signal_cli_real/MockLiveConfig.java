// For the signal_cli_real tests only, never in production: signal-cli 0.13.19 compiles its Signal
// server addresses, TLS trust and trust roots into org.asamk.signal.manager.config.LiveConfig.
// This class of the same name, put ahead of signal-cli's jars on the class path (prepare.sh
// compiles it there), points all of them at the local mock server instead:
//   -Dgvo.mock.url=https://127.0.0.1:PORT   every server URL
//   -Dgvo.mock.truststore=FILE              a BKS key store (password "whisper") with its CA
//   -Dgvo.mock.certs=DIR                    @signalapp/mock-server's certs/ (trust-root.json,
//                                           zk-params.json: sealed-sender root, zkgroup params)
// GPL-3.0-or-later
package org.asamk.signal.manager.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.Interceptor;
import org.asamk.signal.manager.api.ServiceEnvironment;
import org.signal.libsignal.net.Network;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.whispersystems.signalservice.api.push.TrustStore;
import org.whispersystems.signalservice.internal.configuration.SignalCdnUrl;
import org.whispersystems.signalservice.internal.configuration.SignalCdsiUrl;
import org.whispersystems.signalservice.internal.configuration.SignalServiceConfiguration;
import org.whispersystems.signalservice.internal.configuration.SignalServiceUrl;
import org.whispersystems.signalservice.internal.configuration.SignalStorageUrl;
import org.whispersystems.signalservice.internal.configuration.SignalSvr2Url;

class LiveConfig {
  private static final String URL = System.getProperty("gvo.mock.url");

  private static final TrustStore MOCK_CA =
      new TrustStore() {
        public InputStream getKeyStoreInputStream() {
          try {
            return new FileInputStream(System.getProperty("gvo.mock.truststore"));
          } catch (Exception e) {
            throw new AssertionError("gvo.mock.truststore: " + e);
          }
        }

        public String getKeyStorePassword() {
          return "whisper";
        }
      };

  private static JsonNode certs(String name) {
    try {
      return new ObjectMapper().readTree(new File(System.getProperty("gvo.mock.certs"), name));
    } catch (Exception e) {
      throw new AssertionError("gvo.mock.certs/" + name + ": " + e);
    }
  }

  private static byte[] base64(JsonNode node, String field) {
    return Base64.getDecoder().decode(node.get(field).asText());
  }

  static SignalServiceConfiguration createDefaultServiceConfiguration(
      List<Interceptor> interceptors) {
    final JsonNode zk = certs("zk-params.json");
    return new SignalServiceConfiguration(
        new SignalServiceUrl[] {new SignalServiceUrl(URL, MOCK_CA)},
        Map.of(
            0, new SignalCdnUrl[] {new SignalCdnUrl(URL, MOCK_CA)},
            2, new SignalCdnUrl[] {new SignalCdnUrl(URL, MOCK_CA)},
            3, new SignalCdnUrl[] {new SignalCdnUrl(URL + "/cdn3", MOCK_CA)}),
        new SignalStorageUrl[] {new SignalStorageUrl(URL, MOCK_CA)},
        new SignalCdsiUrl[] {new SignalCdsiUrl(URL, MOCK_CA)},
        new SignalSvr2Url[] {new SignalSvr2Url(URL, MOCK_CA, null, null)},
        interceptors,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        base64(zk, "publicParams"),
        base64(zk, "genericPublicParams"),
        base64(zk, "backupPublicParams"),
        false);
  }

  static ECPublicKey getUnidentifiedSenderTrustRoot() {
    try {
      return new ECPublicKey(base64(certs("trust-root.json"), "publicKey"));
    } catch (Exception e) {
      throw new AssertionError("the mock's trust root: " + e);
    }
  }

  static ServiceEnvironmentConfig getServiceEnvironmentConfig(List<Interceptor> interceptors) {
    // The enclave and SVR2 names are those of signal-cli's own configuration; nothing here uses
    // them (no contact discovery, no PIN).
    return new ServiceEnvironmentConfig(
        ServiceEnvironment.LIVE,
        Network.Environment.PRODUCTION,
        createDefaultServiceConfiguration(interceptors),
        getUnidentifiedSenderTrustRoot(),
        "0f6fd79cdfdaa5b2e6337f534d3baf999318b0c462a7ac1f41297a3e4b424a57",
        List.of(
            "29cd63c87bea751e3bfd0fbd401279192e2e5c99948b4ee9437eafc4968355fb",
            "093be9ea32405e85ae28dbb48eb668aebeb7dbe29517b9b86ad4bec4dfe0e6a6"));
  }

  private LiveConfig() {}
}
