/**
 * The server's own certificate authority, in the part of CADC's `cred` service's signing certificate: created
 * in the data directory on first start (its key 0600), it signs short-lived client certificates for users
 * (`/cred/generate`) and, with `--tls`, the server's own HTTPS certificate. A client certificate it signed names
 * its user in the subject: `CN=<user>,OU=users,O=vosync serve`.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { writePrivateFile } from './datadir.js';

const CA_CERT_FILE = 'ca.pem';
const CA_KEY_FILE = 'ca-key.pem';
const ORGANISATION = 'vosync serve';
const USERS_UNIT = 'users';
const DAY_MS = 86_400_000;
/** CADC's cred backdates its certificates five minutes, for clocks that run behind. */
const BACKDATE_MS = 5 * 60_000;

const generateRsa = promisify(generateKeyPair);

/** A fresh 2048-bit RSA key pair, made by Node (in its thread pool), in PEM. */
async function newKeyPair(): Promise<{ publicPem: string; privatePem: string }> {
  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    // PKCS#1 (`BEGIN RSA PRIVATE KEY`), as CADC's cred writes the key after the certificate.
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

/** A positive random serial number (hex), as X.509 wants it. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

interface Validity {
  notBefore: number;
  notAfter: number;
}

export class UserCa {
  private constructor(
    private readonly cert: forge.pki.Certificate,
    private readonly key: forge.pki.rsa.PrivateKey,
    /** Where the CA certificate is, for people to trust it (`NODE_EXTRA_CA_CERTS`). */
    readonly certFile: string,
  ) {}

  /** The data directory's CA, created (valid ten years) when it has none. */
  static async open(dataDir: string, now: number): Promise<UserCa> {
    const certFile = path.join(dataDir, CA_CERT_FILE);
    const keyFile = path.join(dataDir, CA_KEY_FILE);
    if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
      try {
        const cert = forge.pki.certificateFromPem(fs.readFileSync(certFile, 'utf8'));
        const key = forge.pki.privateKeyFromPem(fs.readFileSync(keyFile, 'utf8')) as forge.pki.rsa.PrivateKey;
        return new UserCa(cert, key, certFile);
      } catch (e) {
        throw new Error(
          `${certFile} / ${keyFile}: not a usable certificate authority: ${(e as Error).message}`,
        );
      }
    }
    const keys = await newKeyPair();
    const key = forge.pki.privateKeyFromPem(keys.privatePem) as forge.pki.rsa.PrivateKey;
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
    cert.serialNumber = serialNumber();
    setValidity(cert, { notBefore: now - BACKDATE_MS, notAfter: now + 3650 * DAY_MS });
    const name = [
      { shortName: 'O', value: ORGANISATION },
      // Its own name, so that a certificate from another server's CA is told apart in messages.
      { shortName: 'CN', value: `${ORGANISATION} certificate authority ${randomBytes(4).toString('hex')}` },
    ];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(key, forge.md.sha256.create());
    writePrivateFile(keyFile, keys.privatePem);
    writePrivateFile(certFile, pem(cert));
    return new UserCa(cert, key, certFile);
  }

  get certPem(): string {
    return pem(this.cert);
  }

  /** The subject DN of a user's certificate, as RFC 4514 writes it. */
  static subjectOf(user: string): string {
    return `CN=${user},OU=${USERS_UNIT},O=${ORGANISATION}`;
  }

  /**
   * The user a client certificate names, from the subject Node's TLS layer read (its chain to this CA and its
   * dates are the TLS layer's to check); undefined when the subject is not one this CA gives users.
   */
  static userOf(subject: Record<string, string | string[] | undefined>): string | undefined {
    const cn = subject['CN'];
    if (typeof cn !== 'string' || subject['OU'] !== USERS_UNIT || subject['O'] !== ORGANISATION)
      return undefined;
    return cn;
  }

  /**
   * A client certificate for `user`, valid from five minutes ago for `days` days (rounded to the hour, as
   * CADC's cred does), and its key: the PEM text `cadc-get-cert` saves — certificate, key, then this CA.
   */
  async issue(user: string, days: number, now: number): Promise<string> {
    const keys = await newKeyPair();
    const cert = this.signed(
      keys.publicPem,
      [
        { shortName: 'O', value: ORGANISATION },
        { shortName: 'OU', value: USERS_UNIT },
        { shortName: 'CN', value: user },
      ],
      {
        notBefore: now - BACKDATE_MS,
        notAfter: now + Math.round(days * 24) * 3_600_000,
      },
      [{ name: 'extKeyUsage', clientAuth: true }],
    );
    return pem(cert) + keys.privatePem + this.certPem;
  }

  /** The server's HTTPS certificate and key for these host names and addresses, valid `days` days. */
  async serverCertificate(
    hosts: string[],
    days: number,
    now: number,
  ): Promise<{ cert: string; key: string }> {
    const keys = await newKeyPair();
    const altNames = hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }));
    const cert = this.signed(
      keys.publicPem,
      [
        { shortName: 'O', value: ORGANISATION },
        { shortName: 'CN', value: hosts[0] ?? 'localhost' },
      ],
      { notBefore: now - BACKDATE_MS, notAfter: now + days * DAY_MS },
      [
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    );
    return { cert: pem(cert) + this.certPem, key: keys.privatePem };
  }

  private signed(
    publicPem: string,
    subject: forge.pki.CertificateField[],
    validity: Validity,
    extensions: object[],
  ): forge.pki.Certificate {
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
    cert.serialNumber = serialNumber();
    setValidity(cert, validity);
    cert.setSubject(subject);
    cert.setIssuer(this.cert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      ...extensions,
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.cert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(this.key, forge.md.sha256.create());
    return cert;
  }
}

/** A certificate in PEM with Unix line ends (forge writes CRLF; the key and CA beside it have LF). */
function pem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

function setValidity(cert: forge.pki.Certificate, v: Validity): void {
  cert.validity.notBefore = new Date(v.notBefore);
  cert.validity.notAfter = new Date(v.notAfter);
}
