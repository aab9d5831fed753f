package receiptpdf

import (
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// sampleReceipt is a realistic receipt exercising conjuncts (ক্ষ ন্ত স্থ),
// pre-base vowel signs (ি ে ো), reph and ya-phala.
func sampleReceipt() Receipt {
	return Receipt{
		SamitiNameBN:   "ঢাকা মেডিকেল কলেজ হাসপাতাল রোগীকল্যাণ সমিতি",
		SamitiNameEN:   "Dhaka Medical College Hospital Rogi Kalyan Samiti",
		HospitalNameBN: "ঢাকা মেডিকেল কলেজ হাসপাতাল, ঢাকা",
		HospitalNameEN: "Dhaka Medical College Hospital, Dhaka",
		Serial:         "DMCH/2025-26/000123",
		IssuedAt:       time.Date(2025, time.August, 15, 4, 30, 0, 0, time.UTC),
		PaidAt:         time.Date(2025, time.August, 15, 4, 28, 0, 0, time.UTC),
		DonorName:      "মোহাম্মদ আব্দুল্লাহ আল-মামুন (ক্ষ ন্ত স্থ)",
		MobileMasked:   "01*******78",
		TIN:            "123456789012",
		Amount:         money.Amount(12500050),
		Kind:           "zakat",
		Programme:      "thalassaemia",
		PaymentMethod:  "bkash",
		TransactionID:  "BHF7K2LQ9X",
		VerifyURL:      "https://kalyan.example.org/r/01J9Z3K4X5Y6Z7A8B9C0D1E2F3",
		KeyFingerprint: "ed25519:7f3a9c21",
	}
}
