// Package pki makes the throw-away certificate authority and the certificates
// of one sandbox cluster: the API server's serving certificate, client
// certificates for the admin, the controller manager, the scheduler and the
// node simulator, and the service-account signing key.
//
// Everything is written once into a directory and read back on later starts,
// so a resumed sandbox keeps its identity and its kubeconfig stays valid.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Client names an identity that gets a client certificate.
type Client struct {
	// File is the base name of the .crt/.key pair.
	File string
	// CommonName becomes the Kubernetes user name.
	CommonName string
	// Organizations become the Kubernetes groups.
	Organizations []string
}

// Clients are the identities every sandbox needs.
var Clients = []Client{
	{File: "admin", CommonName: "kubernetes-admin", Organizations: []string{"system:masters"}},
	{File: "controller-manager", CommonName: "system:kube-controller-manager"},
	{File: "scheduler", CommonName: "system:kube-scheduler"},
	{File: "node-simulator", CommonName: "kubelab:node-simulator", Organizations: []string{"system:masters"}},
	{File: "apiserver-kubelet-client", CommonName: "kube-apiserver-kubelet-client", Organizations: []string{"system:masters"}},
}

// Bundle is the set of files of one sandbox's PKI.
type Bundle struct {
	Dir string
}

// Path returns the path of a file in the bundle, e.g. Path("ca.crt").
func (b Bundle) Path(name string) string { return filepath.Join(b.Dir, name) }

// Ensure creates whatever is missing in dir: the CA, the serving
// certificate for the given IPs and DNS names, the client certificates and
// the service-account key pair. Existing files are kept.
func Ensure(dir string, ips []net.IP, dnsNames []string) (Bundle, error) {
	b := Bundle{Dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return b, fmt.Errorf("pki: create %s: %w", dir, err)
	}
	caCert, caKey, err := loadOrCreateCA(b)
	if err != nil {
		return b, err
	}
	if !exists(b.Path("apiserver.crt")) {
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: "kube-apiserver"},
			IPAddresses: ips,
			DNSNames:    dnsNames,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if err := issue(b, "apiserver", tmpl, caCert, caKey); err != nil {
			return b, err
		}
	}
	if !exists(b.Path("kubelet.crt")) {
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: "kubelab-kubelet"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			DNSNames:    []string{"localhost"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if err := issue(b, "kubelet", tmpl, caCert, caKey); err != nil {
			return b, err
		}
	}
	for _, c := range Clients {
		if exists(b.Path(c.File + ".crt")) {
			continue
		}
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: c.CommonName, Organization: c.Organizations},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if err := issue(b, c.File, tmpl, caCert, caKey); err != nil {
			return b, err
		}
	}
	if !exists(b.Path("sa.key")) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return b, fmt.Errorf("pki: service-account key: %w", err)
		}
		if err := writeKey(b.Path("sa.key"), key); err != nil {
			return b, err
		}
		der, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			return b, fmt.Errorf("pki: service-account public key: %w", err)
		}
		if err := writePEM(b.Path("sa.pub"), "PUBLIC KEY", der, 0o644); err != nil {
			return b, err
		}
	}
	return b, nil
}

func loadOrCreateCA(b Bundle) (*x509.Certificate, crypto.Signer, error) {
	if exists(b.Path("ca.crt")) && exists(b.Path("ca.key")) {
		return loadPair(b.Path("ca.crt"), b.Path("ca.key"))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kubelab-sandbox-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: sign CA: %w", err)
	}
	if err := writeKey(b.Path("ca.key"), key); err != nil {
		return nil, nil, err
	}
	if err := writePEM(b.Path("ca.crt"), "CERTIFICATE", der, 0o644); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: parse CA: %w", err)
	}
	return cert, key, nil
}

func issue(b Bundle, name string, tmpl *x509.Certificate, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: key for %s: %w", name, err)
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.AddDate(5, 0, 0)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("pki: sign %s: %w", name, err)
	}
	if err := writeKey(b.Path(name+".key"), key); err != nil {
		return err
	}
	return writePEM(b.Path(name+".crt"), "CERTIFICATE", der, 0o644)
}

func loadPair(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: read %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: read %s: %w", keyFile, err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("pki: CA files are not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: parse %s: %w", certFile, err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: parse %s: %w", keyFile, err)
	}
	return cert, key, nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: marshal key %s: %w", path, err)
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(fmt.Sprintf("pki: crypto/rand failed: %v", err))
	}
	return n
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
