/**
 * The spec's example answers of the down interfaces (bluecard-cloud-protocol-v2.6.0.txt), as raw text so
 * their quirks reach the client as Bluecard would send them: "Success", numbers as strings and the reverse,
 * keys with stray spaces, a time spelled "2019 - 02 - 14 12: 02: 45 ", a duplicated key. Broken JSON of
 * the PDF extraction is repaired; where an example is missing or cut, it is completed from the table.
 */
import type { Reply } from './fake-bluecard';

const text = (t: string): Reply => ({ text: t });

/** The answer of most down calls: datas {timeStamp}. */
export const TIMESTAMP_ANSWER = '{"status":"success","datas":{"timeStamp":"15312925080301"}}';

export const EXAMPLES = {
  // 4.4 (missing "}," after datas repaired)
  getChargebf: text(`{
    "datas": {
         "profitTimeTotal": "0",
         "charge": "0.05",
         "orderId": "212",
         "getTime": "2019-02-25 16:50:01",
         "memo": "",
         "plate": "粤 Z00006",
         "payCharge": "0.05",
         "paidfreeTime": "15",
         "inTime": "2019-02-25 16:32:56",
         "imgName": "1902490001_20190225163256_0000000023_test_zip.jpg^23",
         "timeStamp": "1504541545154",
         "paidTotal": "0",
         "outTradeNo": "1_0_212_165002",
         "profitChargeTotal": "0",
         "stopTimeTotal": "17"
    },
    "status": "success"
}`),
  // 4.5
  sendPayRes: text('{"status":"success","datas":{"transactionID":"154531584", "orderId":"1212",\n\n"timeStamp":"15312925080301"}}'),
  // 4.6 — with a numeric timeStamp (the reverse quirk)
  synWhite: text('{"status":"success","datas":{"timeStamp":15312925080301}}'),
  // 4.7
  delWhite: text(TIMESTAMP_ANSWER),
  // 4.8 (cut in the PDF; completed from the table)
  queryWhite: text(`{
    "datas": [{
        "plate": "京 A466BD",
        "chargeType": "不收费",
        "name": "",
        "certificate": "",
        "address": "北京市",
        "phone": "13000000000",
        "plateColor": "蓝色",
        "start": "2019-02-25",
        "end": "2019-02-27",
        "dept": "",
        "carType": "线上月租",
        "memo": "",
        "timeStamp": "1551084595996",
        "areasAndValidity": []
    }],
    "status": "success"
}`),
  // 4.9
  synBlack: text(TIMESTAMP_ANSWER),
  // 4.10
  delBlack: text(TIMESTAMP_ANSWER),
  // 4.11
  queryBlack: text('{"status":"success","datas":[{"plate":"京 A12345","memo":""}]}'),
  // 4.18
  synBookingCar: text(TIMESTAMP_ANSWER),
  // 4.19 (missing in the PDF: written from the table)
  queryBookingCar: text(`{
    "status": "success",
    "datas": {
        "timeStamp": "15312925080301",
        "bookList": [{
            "plate": "京 A466BD",
            "start": "2018-07-12 09:00:00",
            "end": "2018-07-12 18:00:00",
            "downTime": "2018-07-11 20:00:05",
            "inTime": "",
            "bookOrderId": "18674548778574",
            "bookOrderTime": "2018-07-11 20:00:00",
            "letInStartTime": "2018-07-12 09:00:00",
            "letInEndTime": "2018-07-12 09:30:00",
            "memo": ""
        }]
    }
}`),
  // 4.20 (cut after "imageList": [{ — completed from the table)
  queryImgByName: text(`{ "status": "success", "datas": { "imageList": [{
            "imageName": "1807490001_20180712101010_1.jpg^17",
            "imageURL": "http://bluecard.example/images/1807490001_20180712101010_1.jpg"
        }],
        "timeStamp": "15312925080301"
    }
}`),
  // 4.22 — the table spells the status "Success"
  RemoteLiftRod: text('{"status":"Success","datas":{"timeStamp":"15312925080301"}}'),
  // 4.23 — "Success" again, and a stray space in a key
  coupon: text('{"status ":"Success","datas":{"timeStamp":"15312925080301"}}'),
  // 4.29
  unlicensedCarIn: text(`{
    "status": "success",
    "datas": {
        "plate": "京 A00001",
        "inTime": "2019-02-25 16:32:56",
        "inImage": "1902490001_20190225163256_1.jpg"
    }
}`),
  // 4.30 — verbatim quirks: the key "inTime " and its value "2019 - 02 - 14 12: 02: 45 "
  unlicensedCarOut: text(`{
    "status": "success",
    "datas": {
        "plate": "京 A00001",
        "orderId": "1354", "inTime ": "2019 - 02 - 14 12: 02: 45 ",
        "getTime": "2019-02-14 12:02:45",
        "charge": "0",
        "payCharge": "0",
        "paidTotal": "0",
        "profitChargeTotal": "0",
        "profitTimeTotal": "0",
        "stopTimeTotal": "0",
        "paidfreeTime": "15",
        "memo": "",
        "imgName": "1902490001_20190214120245_1.jpg",
        "timeStamp": "1550116965000",
        "outTradeNo": "p180329111018_2_1354_120245"
    }
}`),
  // 4.33 (no example in the PDF: from the table) — rateState sent as a string, as real traffic does
  getAllSpaceStatus: text(`{
    "status": "success",
    "datas": [{
        "layerId": "001",
        "layerName": "地下一层停车场",
        "spaceId": "G005",
        "rateState": "1",
        "plate": "京 A00001",
        "carType": "临时车"
    }, {
        "layerId": "001",
        "layerName": "地下一层停车场",
        "spaceId": "G006",
        "rateState": 0,
        "carType": "临时车"
    }]
}`),
  // 4.34 — verbatim: "spaceId" twice (the second wins), no layerName
  getSpaceStatusByPlate: text(`{
    "status":"success",
    "datas":[{
        "layerId":"15312925080301",
        "spaceId":"15312925080301",
        "spaceId":"G001",
        "plate":"京 A00001",
    "carType":"固定车",
    "imgPath":"http://*******/102522.jpg",
    "space_x":"0.078",
    "space_y":"0.158"
    }]
}`),
} satisfies Record<string, Reply>;

export const FAIL_ANSWER = (reason: string): Reply => ({ body: { status: 'fail', errorCode: reason } });
