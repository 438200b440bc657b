package main

import (
	"os"
	"path/filepath"

	"github.com/tinychain/tinychain/wallet"
)

type walletCmd struct {
	New    walletNewCmd    `cmd:"" help:"Create a new key."`
	List   walletListCmd   `cmd:"" help:"List the keys in the keystore (geth's files too)."`
	Import walletImportCmd `cmd:"" help:"Import a hex private key file or a keystore JSON file."`
	Export walletExportCmd `cmd:"" help:"Print a key's private key in hex."`
}

type keystoreFlags struct {
	Datadir      string `help:"Data directory holding keystore/." default:"${datadir}" type:"path"`
	PasswordFile string `help:"File whose first line is the password (else a prompt on a terminal)." type:"path"`
	LightKDF     bool   `name:"light-kdf" help:"Weaker, faster scrypt (tests only)."`
	JSON         bool   `name:"json" help:"Print JSON for machines."`
}

func (f *keystoreFlags) keystore() *wallet.Keystore {
	return wallet.OpenKeystore(filepath.Join(f.Datadir, "keystore"), f.LightKDF)
}

type walletNewCmd struct{ keystoreFlags }

func (c *walletNewCmd) Run(e *env) error {
	pw, err := wallet.ReadPassword(c.PasswordFile, "Password for the new key: ", true)
	if err != nil {
		return err
	}
	addr, file, err := c.keystore().New(pw)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(map[string]string{"address": addr.Hex(), "file": file})
	}
	e.printf("%s %s\n", addr.Hex(), file)
	return nil
}

type walletListCmd struct{ keystoreFlags }

func (c *walletListCmd) Run(e *env) error {
	accts, err := c.keystore().List()
	if err != nil {
		return err
	}
	if c.JSON {
		out := make([]map[string]string, len(accts))
		for i, a := range accts {
			out[i] = map[string]string{"address": a.Address.Hex(), "file": a.File}
		}
		return e.printJSON(out)
	}
	for _, a := range accts {
		e.printf("%s %s\n", a.Address.Hex(), a.File)
	}
	return nil
}

type walletImportCmd struct {
	keystoreFlags
	File string `arg:"" help:"Hex private key file, or a keystore JSON file."`
	// KeyPasswordFile decrypts an imported keystore JSON file when its
	// password differs from the new one.
	KeyPasswordFile string `help:"Password file of the imported keystore JSON (default: --password-file)." type:"path"`
}

func (c *walletImportCmd) Run(e *env) error {
	data, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	pw, err := wallet.ReadPassword(c.PasswordFile, "Password for the imported key: ", true)
	if err != nil {
		return err
	}
	oldPw := pw
	if c.KeyPasswordFile != "" {
		if oldPw, err = wallet.ReadPassword(c.KeyPasswordFile, "", false); err != nil {
			return err
		}
	}
	addr, file, err := c.keystore().Import(data, oldPw, pw)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(map[string]string{"address": addr.Hex(), "file": file})
	}
	e.printf("%s %s\n", addr.Hex(), file)
	return nil
}

type walletExportCmd struct {
	keystoreFlags
	Address string `arg:"" help:"Address of the key to export."`
}

func (c *walletExportCmd) Run(e *env) error {
	addr, err := parseAddress("", c.Address)
	if err != nil {
		return err
	}
	pw, err := wallet.ReadPassword(c.PasswordFile, "Password for "+addr.Hex()+": ", false)
	if err != nil {
		return err
	}
	key, err := c.keystore().Key(addr, pw)
	if err != nil {
		return err
	}
	if c.JSON {
		return e.printJSON(map[string]string{"address": addr.Hex(), "private_key": wallet.PrivateKeyHex(key)})
	}
	e.printf("%s\n", wallet.PrivateKeyHex(key))
	return nil
}
